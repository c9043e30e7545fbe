package apiserver

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/openzun/zun/internal/model"
)

// createFields maps each create field to the microversion that added it.
var createFields = map[string]int{
	"name": 1, "image": 1, "command": 1, "cpu": 1, "memory": 1, "disk": 1, "workdir": 1,
	"environment": 1, "labels": 1, "image_pull_policy": 1, "image_driver": 1, "restart_policy": 1,
	"interactive": 1, "security_groups": 1, "hints": 1, "availability_zone": 1, "auto_heal": 1,
	"nets": 2, "auto_remove": 3, "runtime": 5, "hostname": 9, "mounts": 11, "privileged": 21,
	"healthcheck": 22, "exposed_ports": 24, "cpu_policy": 28, "registry": 31, "tty": 36, "host": 39,
	"entrypoint": 40,
}

// needsService lists fields that need a service this deployment does not
// run yet; an empty value is accepted (python-zunclient sends "nets": []).
var needsService = map[string]string{
	"nets": "network", "security_groups": "network", "exposed_ports": "network",
	"registry": "registry",
	"mounts":   "volume",
}

const defaultCPU, defaultMemory = 1.0, 512

// parseCreate validates a create body at the negotiated microversion.
func parseCreate(m map[string]json.RawMessage, minor int) (*model.Container, error) {
	allowed := map[string]bool{}
	for f, v := range createFields {
		if v <= minor {
			allowed[f] = true
		}
	}
	if err := unknownFields(m, allowed); err != nil {
		return nil, err
	}
	raw, ok := m["image"]
	if !ok || isNull(raw) {
		return nil, badRequest("'image' is a required property")
	}
	c := &model.Container{CPU: defaultCPU, Memory: defaultMemory}
	var err error
	if c.Image, err = decodeString("image", raw, 2, 255); err != nil {
		return nil, err
	}
	for field, raw := range m {
		if isNull(raw) || field == "image" {
			continue
		}
		if err := parseCreateField(c, field, raw, minor); err != nil {
			return nil, err
		}
	}
	if c.AutoRemove && c.RestartPolicy != nil && c.RestartPolicy.Name != "no" {
		return nil, badRequest("Invalid input: auto_remove and a restart_policy other than 'no' are mutually exclusive.")
	}
	if c.Interactive && minor >= 20 && minor < 36 {
		c.TTY = true
	}
	return c, nil
}

func parseCreateField(c *model.Container, field string, raw json.RawMessage, minor int) error {
	var err error
	switch field {
	case "name":
		c.Name, err = decodeName(raw)
	case "command":
		c.Command, err = decodeCommand(raw, minor)
	case "entrypoint":
		c.Entrypoint, err = decodeStringList("entrypoint", raw)
	case "cpu":
		c.CPU, err = decodeCPU(raw)
	case "memory":
		c.Memory, err = decodeMemory(raw)
	case "disk":
		var d int
		d, err = decodeInt("disk", raw, minDisk, maxDisk)
		c.Disk = int64(d)
	case "workdir":
		c.Workdir, err = decodeString("workdir", raw, 1, 4096)
		if err == nil && !strings.HasPrefix(c.Workdir, "/") {
			err = invalid("workdir", "Value: %q. Must be an absolute path.", c.Workdir)
		}
	case "environment":
		c.Environment, err = decodeStringMap("environment", raw)
	case "labels":
		c.Labels, err = decodeStringMap("labels", raw)
		for k := range c.Labels {
			if strings.HasPrefix(k, "zun.") {
				err = invalid("labels", "Label keys starting with 'zun.' are reserved.")
			}
		}
	case "hints":
		c.Hints, err = decodeStringMap("hints", raw)
	case "image_pull_policy":
		c.ImagePullPolicy, err = decodeEnum("image_pull_policy", raw, "never", "always", "ifnotpresent")
	case "image_driver":
		c.ImageDriver, err = decodeEnum("image_driver", raw, "docker", "glance")
	case "registry":
		// The name or UUID; containerCreate resolves it in scope.
		c.RegistryID, err = decodeString("registry", raw, 1, 255)
	case "restart_policy":
		c.RestartPolicy, err = decodeRestartPolicy(raw)
	case "interactive":
		c.Interactive, err = decodeBool(field, raw)
	case "tty":
		c.TTY, err = decodeBool(field, raw)
	case "auto_remove":
		c.AutoRemove, err = decodeBool(field, raw)
	case "auto_heal":
		c.AutoHeal, err = decodeBool(field, raw)
	case "privileged":
		c.Privileged, err = decodeBool(field, raw)
	case "runtime":
		c.Runtime, err = decodeString("runtime", raw, 1, 64)
	case "hostname":
		c.Hostname, err = decodeString("hostname", raw, 2, 63)
		if err == nil && !hostnameRe.MatchString(c.Hostname) {
			err = invalid("hostname", "Value: %q is not a valid host name.", c.Hostname)
		}
	case "availability_zone":
		c.AvailabilityZone, err = decodeString("availability_zone", raw, 1, 255)
	case "host":
		c.RequestedHost, err = decodeString("host", raw, 1, 255)
	case "healthcheck":
		c.Healthcheck, err = decodeHealthcheck(raw)
	case "mounts":
		c.Mounts, err = decodeMounts(raw, minor)
	case "cpu_policy":
		c.CPUPolicy, err = decodeEnum("cpu_policy", raw, "shared", "dedicated")
		if err == nil && c.CPUPolicy == "dedicated" {
			err = badRequest("Invalid input for field/attribute cpu_policy. No host of this deployment enables CPU pinning.")
		}
	default:
		if svc, ok := needsService[field]; ok {
			return requireEmpty(field, raw, svc)
		}
		return badRequest("Additional properties are not allowed ('%s' was unexpected)", field)
	}
	return err
}

func requireEmpty(field string, raw json.RawMessage, svc string) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return invalid(field, "Value is not valid JSON.")
	}
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			return nil
		}
	case map[string]any:
		if len(t) == 0 {
			return nil
		}
	case string:
		if t == "" {
			return nil
		}
	}
	return badRequest("Invalid input for field/attribute %s. It needs the %s service, which this deployment does not run.", field, svc)
}

func decodeCommand(raw json.RawMessage, minor int) ([]string, error) {
	if minor >= 20 {
		return decodeStringList("command", raw)
	}
	s, err := decodeString("command", raw, 0, maxArg)
	if err != nil {
		return nil, err
	}
	l, err := shellSplit(s)
	if err != nil {
		return nil, invalid("command", "Value: %q. %v.", truncate([]byte(s)), err)
	}
	return l, nil
}

func decodeEnum(field string, raw json.RawMessage, values ...string) (string, error) {
	s, err := decodeString(field, raw, 1, 64)
	if err != nil {
		return "", err
	}
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return v, nil
		}
	}
	return "", invalid(field, "Value: %q. Must be one of %s.", s, strings.Join(values, ", "))
}

func decodeRestartPolicy(raw json.RawMessage) (*model.RestartPolicy, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalid("restart_policy", "Expected an object with Name and MaximumRetryCount.")
	}
	if err := unknownFields(m, map[string]bool{"Name": true, "MaximumRetryCount": true}); err != nil {
		return nil, err
	}
	rp := &model.RestartPolicy{}
	nameRaw, ok := m["Name"]
	if !ok {
		return nil, invalid("restart_policy", "'Name' is a required property.")
	}
	var err error
	if rp.Name, err = decodeEnum("restart_policy.Name", nameRaw, "no", "always", "on-failure", "unless-stopped"); err != nil {
		return nil, err
	}
	if r, ok := m["MaximumRetryCount"]; ok && !isNull(r) {
		if rp.MaximumRetryCount, err = decodeInt("restart_policy.MaximumRetryCount", r, 0, 1000); err != nil {
			return nil, err
		}
	}
	if rp.MaximumRetryCount > 0 && rp.Name != "on-failure" {
		return nil, badRequest("Invalid input for field/attribute restart_policy. MaximumRetryCount > 0 is only valid with on-failure.")
	}
	return rp, nil
}

func decodeHealthcheck(raw json.RawMessage) (*model.Healthcheck, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalid("healthcheck", "Expected an object.")
	}
	if err := unknownFields(m, map[string]bool{"cmd": true, "interval": true, "retries": true, "timeout": true, "test": true}); err != nil {
		return nil, err
	}
	h := &model.Healthcheck{}
	var err error
	for k, v := range m {
		if isNull(v) {
			continue
		}
		switch k {
		case "cmd", "test":
			h.Test, err = decodeString("healthcheck."+k, v, 1, maxArg)
		case "interval":
			h.Interval, err = decodeInt("healthcheck.interval", v, 0, 86400)
		case "retries":
			h.Retries, err = decodeInt("healthcheck.retries", v, 0, 1000)
		case "timeout":
			h.Timeout, err = decodeInt("healthcheck.timeout", v, 0, 86400)
		}
		if err != nil {
			return nil, err
		}
	}
	if h.Test == "" {
		return nil, invalid("healthcheck", "'cmd' is required.")
	}
	return h, nil
}

// greek names the default container names as Zun's name generator does.
var greek = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
	"kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
	"chi", "psi", "omega"}

func generateName(n1, n2 int) string {
	return fmt.Sprintf("%s-%d-container", greek[n1%len(greek)], n2%24+1)
}

// generatedNameTries bounds the names tried for a container created
// without one.
const generatedNameTries = 4

// generatedName is the try-th name offered for container uuid: Zun's
// random form first, then, should those be taken, the same with the
// UUID's first block, which no other container of the project holds.
func generatedName(try int, uuid string) string {
	name := generateName(rand.IntN(1<<20), rand.IntN(1<<20))
	if try < generatedNameTries-1 {
		return name
	}
	short, _, _ := strings.Cut(uuid, "-")
	return name + "-" + short
}
