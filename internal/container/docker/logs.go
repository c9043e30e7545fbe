package docker

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// MaxLogBytes caps what Logs returns; older output is dropped.
const MaxLogBytes = 1 << 20

// Logs returns c's logs, at most the last MaxLogBytes of them. Neither
// stream selected means both.
func (d *Driver) Logs(ctx context.Context, c *model.Container, o container.LogOptions) (string, error) {
	buf := newTailBuffer(MaxLogBytes)
	if err := d.copyLogs(ctx, c, o, false, buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// StreamLogs follows c's logs into w until the container stops, the stream
// breaks or ctx ends.
func (d *Driver) StreamLogs(ctx context.Context, c *model.Container, o container.LogOptions, w io.Writer) error {
	err := d.copyLogs(ctx, c, o, true, w)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (d *Driver) copyLogs(ctx context.Context, c *model.Container, o container.LogOptions, follow bool, w io.Writer) error {
	opts, err := logOptions(o)
	if err != nil {
		return err
	}
	opts.Follow = follow
	name := c.DockerName()
	ins, err := d.cli.ContainerInspect(ctx, ref(c), client.ContainerInspectOptions{})
	if err != nil {
		return translate("inspect container "+name, err)
	}
	tty := ins.Container.Config != nil && ins.Container.Config.Tty
	rc, err := d.cli.ContainerLogs(ctx, ins.Container.ID, opts)
	if err != nil {
		return translate("read logs of container "+name, err)
	}
	defer rc.Close()
	if tty {
		_, err = io.Copy(w, rc)
	} else {
		_, err = stdcopy.StdCopy(w, w, rc)
	}
	return translate("read logs of container "+name, err)
}

// logOptions validates o and converts it for the engine.
func logOptions(o container.LogOptions) (client.ContainerLogsOptions, error) {
	opts := client.ContainerLogsOptions{
		ShowStdout: o.Stdout,
		ShowStderr: o.Stderr,
		Timestamps: o.Timestamps,
		Tail:       o.Tail,
		Since:      o.Since,
	}
	if !opts.ShowStdout && !opts.ShowStderr {
		opts.ShowStdout, opts.ShowStderr = true, true
	}
	if o.Tail != "" && o.Tail != "all" {
		if n, err := strconv.Atoi(o.Tail); err != nil || n < 0 {
			return opts, fmt.Errorf("tail %q is not a number or \"all\": %w", o.Tail, errdefs.ErrInvalidArgument)
		}
	}
	if o.Since != "" {
		if !unixSeconds(o.Since) {
			return opts, fmt.Errorf("since %q is not unix seconds: %w", o.Since, errdefs.ErrInvalidArgument)
		}
	}
	return opts, nil
}

// unixSeconds reports whether s is "N" or "N.N" with decimal digits only.
func unixSeconds(s string) bool {
	sec, frac, dotted := strings.Cut(s, ".")
	return digits(sec) && (!dotted || digits(frac))
}

func digits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
