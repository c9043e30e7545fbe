package fake

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// MaxLogBytes caps what Logs returns, as the docker driver does.
const MaxLogBytes = 1 << 20

// WriteLog appends a line to c's logs.
func (d *Driver) WriteLog(c *model.Container, line string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return err
	}
	e.logs = append(e.logs, logLine{at: d.opts.Now().UTC(), text: strings.TrimSuffix(line, "\n")})
	return nil
}

// Logs returns what WriteLog added, honouring tail, since and timestamps.
func (d *Driver) Logs(_ context.Context, c *model.Container, o container.LogOptions) (string, error) {
	tail := -1
	if o.Tail != "" && o.Tail != "all" {
		n, err := strconv.Atoi(o.Tail)
		if err != nil || n < 0 {
			return "", fmt.Errorf("tail %q is not a number or \"all\": %w", o.Tail, errdefs.ErrInvalidArgument)
		}
		tail = n
	}
	var since time.Time
	if o.Since != "" {
		f, err := strconv.ParseFloat(o.Since, 64)
		if err != nil || f < 0 {
			return "", fmt.Errorf("since %q is not unix seconds: %w", o.Since, errdefs.ErrInvalidArgument)
		}
		since = time.Unix(0, int64(f*1e9))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return "", err
	}
	lines := e.logs
	if !since.IsZero() {
		i := 0
		for i < len(lines) && lines[i].at.Before(since) {
			i++
		}
		lines = lines[i:]
	}
	if tail >= 0 && tail < len(lines) {
		lines = lines[len(lines)-tail:]
	}
	render := func(ln logLine) string {
		if o.Timestamps {
			return ln.at.Format(time.RFC3339Nano) + " " + ln.text + "\n"
		}
		return ln.text + "\n"
	}
	// Keep the newest lines that fit in MaxLogBytes.
	start, size := len(lines), 0
	for start > 0 && size+len(render(lines[start-1])) <= MaxLogBytes {
		start--
		size += len(render(lines[start]))
	}
	var b strings.Builder
	b.Grow(size)
	for _, ln := range lines[start:] {
		b.WriteString(render(ln))
	}
	return b.String(), nil
}

// Top lists the one fake process of a running container.
func (d *Driver) Top(_ context.Context, c *model.Container, _ string) ([]string, [][]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return nil, nil, err
	}
	if !e.eng.Running {
		return nil, nil, conflict(c, "is not running")
	}
	titles := []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}
	stime := e.eng.StartedAt.Format("15:04")
	return titles, [][]string{{"root", "1", "0", "0", stime, "?", "00:00:00", e.procs}}, nil
}

// Stats returns Zun's stats map with zero usage; the limit is the
// container's memory, else the host's.
func (d *Driver) Stats(_ context.Context, c *model.Container) (map[string]any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return nil, err
	}
	limit := float64(e.c.Memory)
	if limit <= 0 {
		limit = float64(d.opts.MemTotal)
	}
	name := e.c.Name
	if name == "" {
		name = e.c.DockerName()
	}
	return map[string]any{
		"CONTAINER":      name,
		"CPU %":          0.0,
		"MEM USAGE(MiB)": 0.0,
		"MEM LIMIT(MiB)": limit,
		"MEM %":          0.0,
		"BLOCK I/O(B)":   "0/0",
		"NET I/O(B)":     "0/0",
	}, nil
}

// Exec runs Options.Exec (default: echo cmd) in a running, unpaused
// container, capping the output at maxOutput bytes. A hook that outlives
// timeout gives errdefs.ErrTimeout.
func (d *Driver) Exec(ctx context.Context, c *model.Container, cmd []string, timeout time.Duration, maxOutput int) (container.ExecResult, error) {
	if len(cmd) == 0 {
		return container.ExecResult{}, fmt.Errorf("empty exec command: %w", errdefs.ErrInvalidArgument)
	}
	d.mu.Lock()
	e, err := d.lookup(c)
	if err == nil {
		switch {
		case !e.eng.Running:
			err = conflict(c, "is not running")
		case e.eng.Paused:
			err = conflict(c, "is paused")
		}
	}
	var rec model.Container
	if err == nil {
		rec = e.c
	}
	d.mu.Unlock()
	if err != nil {
		return container.ExecResult{}, err
	}
	if d.opts.Exec == nil {
		return capOutput(container.ExecResult{Output: strings.Join(cmd, " ") + "\n"}, maxOutput), nil
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	type result struct {
		r   container.ExecResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := d.opts.Exec(&rec, cmd)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return capOutput(res.r, maxOutput), res.err
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			return container.ExecResult{}, fmt.Errorf("exec did not finish within %s: %w", timeout, errdefs.ErrTimeout)
		}
		return container.ExecResult{}, ctx.Err()
	}
}

func capOutput(r container.ExecResult, maxOutput int) container.ExecResult {
	if maxOutput > 0 && len(r.Output) > maxOutput {
		r.Output = r.Output[:maxOutput]
	}
	return r
}
