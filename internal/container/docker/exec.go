package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// DefaultExecOutput caps Exec output when the caller passes no cap.
const DefaultExecOutput = 1 << 20

// Exec runs cmd in c (which must be running, else errdefs.ErrConflict) and
// waits for it. Stdout and stderr are merged; output beyond maxOutput bytes
// (DefaultExecOutput when <= 0) is dropped. Past timeout the stream is
// closed and errdefs.ErrTimeout returned with the output so far; the
// engine cannot kill an exec'd process, which keeps running inside the
// container's own pids and CPU limits.
func (d *Driver) Exec(ctx context.Context, c *model.Container, cmd []string, timeout time.Duration, maxOutput int) (container.ExecResult, error) {
	if len(cmd) == 0 {
		return container.ExecResult{}, fmt.Errorf("empty exec command: %w", errdefs.ErrInvalidArgument)
	}
	if maxOutput <= 0 {
		maxOutput = DefaultExecOutput
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	name := c.DockerName()
	created, err := d.cli.ExecCreate(ctx, ref(c), client.ExecCreateOptions{
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          cmd,
	})
	if err != nil {
		return container.ExecResult{}, translate("create exec in container "+name, err)
	}
	att, err := d.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return container.ExecResult{}, translate("start exec in container "+name, err)
	}
	defer att.Close()

	out := newHeadBuffer(maxOutput)
	done := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, out, att.Reader)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		att.Close() // unblocks the copier
		<-done
		return container.ExecResult{Output: out.String()}, execTimeout(ctx, name, timeout)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return container.ExecResult{Output: out.String()}, translate("read exec output in container "+name, err)
	}
	code, err := d.execExitCode(ctx, created.ID)
	if err != nil {
		if ctx.Err() != nil {
			return container.ExecResult{Output: out.String()}, execTimeout(ctx, name, timeout)
		}
		return container.ExecResult{Output: out.String()}, translate("inspect exec in container "+name, err)
	}
	return container.ExecResult{Output: out.String(), ExitCode: code}, nil
}

func execTimeout(ctx context.Context, name string, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("exec in container %s did not finish within %s: %w", name, timeout, errdefs.ErrTimeout)
	}
	return fmt.Errorf("exec in container %s: %w", name, ctx.Err())
}

// execExitCode waits for the engine to record the exit of an exec whose
// output stream has ended (it can lag the stream by a few milliseconds).
func (d *Driver) execExitCode(ctx context.Context, id string) (int, error) {
	delay := 5 * time.Millisecond
	for {
		res, err := d.cli.ExecInspect(ctx, id, client.ExecInspectOptions{})
		if err != nil {
			return 0, err
		}
		if !res.Running {
			return res.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// Top lists c's processes with ps options psArgs ("aux"; default "-ef").
func (d *Driver) Top(ctx context.Context, c *model.Container, psArgs string) ([]string, [][]string, error) {
	res, err := d.cli.ContainerTop(ctx, ref(c), client.ContainerTopOptions{Arguments: strings.Fields(psArgs)})
	if err != nil {
		return nil, nil, translate("list processes of container "+c.DockerName(), err)
	}
	return res.Titles, res.Processes, nil
}
