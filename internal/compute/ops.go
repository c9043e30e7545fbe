package compute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

func ptr[T any](v T) *T { return &v }

// action records the compute event of an operation and closes the action
// when the operation ends. The start of the event is recorded while the
// operation runs (it is not on the operation's critical path); the finish
// is sent after it.
func (a *Agent) action(ctx context.Context, c *model.Container, requestID, event string) func(error) {
	return a.actionNamed(ctx, c, requestID, "compute__do_container_"+event)
}

// actionNamed is action with the event's full name.
func (a *Agent) actionNamed(ctx context.Context, c *model.Container, requestID, name string) func(error) {
	if requestID == "" {
		return func(error) {}
	}
	start := time.Now().UTC()
	ev := model.Event{Event: name, StartTime: start}
	uuid, first := c.UUID, ev // the goroutine gets its own copies
	started := a.async(func() {
		if err := a.cond.ActionEvent(ctx, rpc.ActionEventRequest{ContainerUUID: uuid, RequestID: requestID, Event: first}); err != nil {
			a.log.Warn("failed to record action event", "uuid", uuid, "err", err)
		}
	})
	return func(opErr error) {
		// The start is recorded before the finish changes the event.
		started()
		ev.FinishTime = time.Now().UTC()
		ev.Result = "Success"
		msg := ""
		if opErr != nil {
			ev.Result = "Error"
			ev.Traceback = opErr.Error()
			msg = opErr.Error()
		}
		if err := a.cond.ActionEvent(ctx, rpc.ActionEventRequest{ContainerUUID: c.UUID, RequestID: requestID, Event: ev, Finish: true, Message: msg}); err != nil {
			a.log.Warn("failed to record action event", "uuid", c.UUID, "err", err)
		}
	}
}

// async runs f on its own goroutine and returns a function that waits for
// it to end.
func (a *Agent) async(f func()) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return func() { <-done }
}

// updateWhile reports u to the conductor while engine runs, and returns
// engine's error once both are done. The report of a step's start is not
// on the critical path, and it is applied before whatever the caller
// reports next (the conductor's ExpectTask checks rely on that order). An
// agent killed in between leaves an earlier task state, which the
// start-up reconcile resumes from the engine's state.
func (a *Agent) updateWhile(ctx context.Context, u rpc.ContainerUpdate, engine func() error) error {
	wait := a.async(func() { a.update(ctx, u) })
	err := engine()
	wait()
	return err
}

func (a *Agent) update(ctx context.Context, u rpc.ContainerUpdate) {
	u.Host = a.cfg.Host
	if err := a.cond.UpdateContainer(ctx, u); err != nil {
		a.log.Warn("failed to report container state", "uuid", u.UUID, "err", err)
	}
}

// settle reads the engine's state of c and reports it as the end of task.
func (a *Agent) settle(ctx context.Context, c *model.Container, task string, opErr error) {
	u := rpc.ContainerUpdate{UUID: c.UUID, TaskState: ptr(""), ExpectTask: task}
	st, err := a.drv.Inspect(ctx, c)
	switch {
	case err == nil:
		u.Status, u.StatusDetail, u.Ports = ptr(st.Status), ptr(st.Detail), st.Ports
		u.ContainerID = ptr(st.ContainerID)
		if !st.StartedAt.IsZero() {
			u.StartedAt = st.StartedAt
		}
		reason := st.Reason
		if opErr != nil {
			reason = opErr.Error()
		}
		u.StatusReason = ptr(reason)
	case errors.Is(err, errdefs.ErrNotFound):
		u.Status, u.StatusReason = ptr(api.StatusError), ptr("No such container")
		if opErr != nil {
			u.StatusReason = ptr(opErr.Error())
		}
	default:
		u.StatusReason = ptr(fmt.Sprintf("failed to inspect container: %v", err))
	}
	a.update(ctx, u)
}

// fail marks c Error with reason, ending task.
func (a *Agent) fail(ctx context.Context, c *model.Container, task string, err error) {
	a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, Status: ptr(api.StatusError), StatusReason: ptr(err.Error()), TaskState: ptr(""), ExpectTask: task})
}

func (a *Agent) opCreate(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	c := &req.Container
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	done := a.action(ctx, c, req.RequestID, "create")
	err := a.createWith(ctx, c, api.TaskContainerCreating, req.RegistryAuth)
	done(err)
	return nil, nil
}

// create pulls, creates and (if c.Run) starts c, reporting each step.
// Errors are reported on the container; the returned error is for the
// action record.
func (a *Agent) create(ctx context.Context, c *model.Container, task string) error {
	return a.createWith(ctx, c, task, nil)
}

// createWith is create with the registry credential of the pull.
func (a *Agent) createWith(ctx context.Context, c *model.Container, task string, auth *container.RegistryAuth) error {
	tm := a.stepTimer(ctx, task, c.UUID)
	var ref string
	err := a.updateWhile(ctx, rpc.ContainerUpdate{UUID: c.UUID, TaskState: ptr(api.TaskImagePulling)}, func() error {
		var err error
		ref, err = a.prepareImage(ctx, c, auth)
		return err
	})
	tm.step(ctx, "engine ensure image, report image_pulling")
	if err != nil {
		err = fmt.Errorf("failed to get image %s: %w", c.Image, err)
		a.fail(ctx, c, api.TaskImagePulling, err)
		return err
	}
	var id string
	var mountErr error
	err = a.updateWhile(ctx, rpc.ContainerUpdate{UUID: c.UUID, TaskState: ptr(task), StatusDetail: ptr(""), ExpectTask: api.TaskImagePulling}, func() error {
		// Volumes are attached and files written before the engine
		// create that binds them.
		if mountErr = a.prepareMounts(ctx, c); mountErr != nil {
			return mountErr
		}
		// The engine creates from the resolved reference (the registry's
		// full name, or the ID of a loaded archive); the record keeps the
		// user's.
		eng := *c
		eng.Image = ref
		var err error
		id, err = a.drv.Create(ctx, &eng)
		return err
	})
	tm.step(ctx, "engine create, report "+task)
	if mountErr != nil {
		a.fail(ctx, c, task, mountErr)
		return mountErr
	}
	if err != nil {
		err = fmt.Errorf("failed to create container: %w", err)
		a.fail(ctx, c, task, err)
		return err
	}
	c.ContainerID = id
	if !c.Run {
		a.settle(ctx, c, task, nil)
		return nil
	}
	err = a.updateWhile(ctx, rpc.ContainerUpdate{UUID: c.UUID, ContainerID: ptr(id), Status: ptr(api.StatusCreated), TaskState: ptr(api.TaskContainerStarting), ExpectTask: task}, func() error {
		return a.drv.Start(ctx, c)
	})
	tm.step(ctx, "engine start, report container_starting")
	if err != nil {
		err = fmt.Errorf("failed to start container: %w", err)
	}
	a.settle(ctx, c, api.TaskContainerStarting, err)
	tm.step(ctx, "settle")
	return err
}

// simple runs a one-step operation under the container lock.
func (a *Agent) simple(ctx context.Context, req rpc.ContainerRequest, event, task string, f func(*model.Container) error) (any, error) {
	c := &req.Container
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	done := a.action(ctx, c, req.RequestID, event)
	err := f(c)
	a.settle(ctx, c, task, err)
	done(err)
	return nil, nil
}

func (a *Agent) timeout(req rpc.ContainerRequest) time.Duration {
	if req.Timeout > 0 {
		return time.Duration(req.Timeout) * time.Second
	}
	return a.cfg.DefaultStopTimeout
}

func (a *Agent) opStart(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.simple(ctx, req, "start", api.TaskContainerStarting, func(c *model.Container) error { return a.drv.Start(ctx, c) })
}

func (a *Agent) opStop(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.simple(ctx, req, "stop", api.TaskContainerStopping, func(c *model.Container) error { return a.drv.Stop(ctx, c, a.timeout(req)) })
}

func (a *Agent) opReboot(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.simple(ctx, req, "reboot", api.TaskContainerRebooting, func(c *model.Container) error { return a.drv.Restart(ctx, c, a.timeout(req)) })
}

func (a *Agent) opPause(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.simple(ctx, req, "pause", api.TaskContainerPausing, func(c *model.Container) error { return a.drv.Pause(ctx, c) })
}

func (a *Agent) opUnpause(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.simple(ctx, req, "unpause", api.TaskContainerUnpausing, func(c *model.Container) error { return a.drv.Unpause(ctx, c) })
}

func (a *Agent) opKill(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.simple(ctx, req, "kill", api.TaskContainerKilling, func(c *model.Container) error { return a.drv.Kill(ctx, c, req.Signal) })
}

func (a *Agent) opDelete(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	c := &req.Container
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	done := a.action(ctx, c, req.RequestID, "delete")
	err := a.remove(ctx, c, req.Force, req.Stop)
	done(err)
	return nil, nil
}

// remove deletes c from the engine and tells the conductor it is gone.
func (a *Agent) remove(ctx context.Context, c *model.Container, force, stop bool) error {
	if stop {
		if err := a.drv.Stop(ctx, c, a.cfg.DefaultStopTimeout); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			a.log.Warn("stop before delete failed", "uuid", c.UUID, "err", err)
		}
	}
	if err := a.drv.Delete(ctx, c, force || stop); err != nil {
		err = fmt.Errorf("failed to delete container: %w", err)
		a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, StatusReason: ptr(err.Error()), Status: ptr(api.StatusError), TaskState: ptr(""), ExpectTask: api.TaskContainerDeleting})
		return err
	}
	if err := a.releaseMounts(ctx, c); err != nil {
		err = fmt.Errorf("failed to release volumes: %w", err)
		a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, StatusReason: ptr(err.Error()), Status: ptr(api.StatusError), TaskState: ptr(""), ExpectTask: api.TaskContainerDeleting})
		return err
	}
	if err := a.cond.ContainerGone(ctx, rpc.ContainerGone{UUID: c.UUID, Host: a.cfg.Host}); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		a.log.Warn("failed to report deleted container", "uuid", c.UUID, "err", err)
		return err
	}
	a.removed.add(c.UUID, time.Now())
	return nil
}

func (a *Agent) opRebuild(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	c := &req.Container
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	done := a.action(ctx, c, req.RequestID, "rebuild")
	err := a.rebuild(ctx, c, req.Image, req.ImageDriver, req.Start, req.RegistryAuth)
	done(err)
	return nil, nil
}

// rebuild recreates c's engine container (with a new image if given) and
// starts it if it was running (run) or is meant to run.
func (a *Agent) rebuild(ctx context.Context, c *model.Container, image, driver string, run bool, auth *container.RegistryAuth) error {
	if image != "" {
		c.Image = image
	}
	if driver != "" {
		c.ImageDriver = driver
	}
	if err := a.drv.Delete(ctx, c, true); err != nil {
		err = fmt.Errorf("failed to remove old container: %w", err)
		a.fail(ctx, c, api.TaskContainerRebuilding, err)
		return err
	}
	c.ContainerID = ""
	c.Run = run
	a.update(ctx, rpc.ContainerUpdate{UUID: c.UUID, Image: ptr(c.Image), ContainerID: ptr("")})
	return a.createWith(ctx, c, api.TaskContainerRebuilding, auth)
}

func (a *Agent) callLogs(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	o := container.LogOptions{Stdout: true, Stderr: true}
	if req.Logs != nil {
		o = *req.Logs
	}
	s, err := a.drv.Logs(ctx, &req.Container, o)
	if err != nil {
		return nil, err
	}
	return rpc.LogsReply{Logs: s}, nil
}

func (a *Agent) callTop(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	t, p, err := a.drv.Top(ctx, &req.Container, req.PsArgs)
	if err != nil {
		return nil, err
	}
	return rpc.TopReply{Titles: t, Processes: p}, nil
}

func (a *Agent) callStats(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.drv.Stats(ctx, &req.Container)
}

func (a *Agent) callExec(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	r, err := a.drv.Exec(ctx, &req.Container, req.Command, a.cfg.ExecTimeout, a.cfg.MaxExecOutput)
	if err != nil {
		return nil, err
	}
	return rpc.ExecReply{Output: fitJSON(r.Output, maxReplyBytes), ExitCode: r.ExitCode}, nil
}

func (a *Agent) callUpdate(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	c := &req.Container
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	if c.ContainerID == "" {
		// Never created on the engine: the new limits apply at create.
		return nil, nil
	}
	return nil, a.drv.Update(ctx, c, req.CPU, req.Memory)
}

func (a *Agent) callShow(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	return a.drv.Inspect(ctx, &req.Container)
}

// maxReplyBytes keeps a reply within one bus message (NATS' default
// max_payload is 1 MiB) with room for the envelope.
const maxReplyBytes = 768 << 10

// fitJSON truncates s until its JSON encoding fits in limit bytes: control
// characters cost up to six bytes each once escaped.
func fitJSON(s string, limit int) string {
	for len(s) > 0 {
		b, _ := json.Marshal(s)
		if len(b) <= limit {
			return s
		}
		s = strings.ToValidUTF8(s[:len(s)/2], "")
	}
	return s
}
