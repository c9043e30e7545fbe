package cli

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
)

const mountUsage = "mounts arguments must be of the form --mount source=<volume>,destination=<path>, " +
	"or use --mount size=<size>,destination=<path> to create a new volume and mount to the container, " +
	"or use --mount type=bind,source=<file>,destination=<path> to inject file into a path in the container"

// parseMounts parses --mount values as python-zunclient's parse_mounts
// does; a bind source is a local file whose content is sent base64.
func parseMounts(args []string, readFile func(string) ([]byte, error)) ([]api.Mount, error) {
	var out []api.Mount
	for _, arg := range args {
		info := map[string]string{}
		for part := range strings.SplitSeq(arg, ",") {
			k, v, ok := strings.Cut(part, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok {
				return nil, usagef("invalid mounts argument %q: %s", part, mountUsage)
			}
			switch k {
			case "source", "destination", "size", "type":
			default:
				return nil, usagef("invalid mounts argument %q: %s", part, mountUsage)
			}
			if info[k] != "" {
				return nil, usagef("invalid mounts argument %q: %s", part, mountUsage)
			}
			info[k] = v
		}
		if info["destination"] == "" || (info["source"] == "" && info["size"] == "") {
			return nil, usagef("invalid mounts argument %q: %s", arg, mountUsage)
		}
		m := api.Mount{Type: info["type"], Source: info["source"], Destination: info["destination"]}
		switch m.Type {
		case "", "volume":
		case "bind":
			b, err := readFile(m.Source)
			if err != nil {
				return nil, usagef("cannot read the file to inject: %w", err)
			}
			m.Source = base64.StdEncoding.EncodeToString(b)
		default:
			return nil, usagef("invalid mounts argument \"type=%s\": %s", m.Type, mountUsage)
		}
		if s := info["size"]; s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return nil, usagef("invalid mounts argument \"size=%s\": the size is a positive number of GB", s)
			}
			m.Size = n
		}
		out = append(out, m)
	}
	return out, nil
}
