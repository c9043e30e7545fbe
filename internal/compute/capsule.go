package compute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// capsuleState is the agent's capsule bookkeeping: the records it works
// on (engine events of members need their capsule) and the cancel
// function of each running start, so a delete does not wait for init
// containers that may run for long.
type capsuleState struct {
	mu      sync.Mutex
	records map[string]model.Capsule
	cancels map[string]context.CancelFunc
	// failures are the reasons of starts that failed: an engine event
	// after the start (an init container's die) must not replace the
	// reason with what the observation alone says ("container app is
	// missing" for the app containers never created).
	failures map[string]string
}

func (s *capsuleState) setFailure(uuid, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[string]string{}
	}
	s.failures[uuid] = reason
}

func (s *capsuleState) failure(uuid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[uuid]
}

func (s *capsuleState) remember(c *model.Capsule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.records == nil {
		s.records = map[string]model.Capsule{}
	}
	s.records[c.UUID] = *c
}

func (s *capsuleState) forget(uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, uuid)
	delete(s.failures, uuid)
}

func (s *capsuleState) record(uuid string) (model.Capsule, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.records[uuid]
	return c, ok
}

// startCtx returns a context a delete of uuid cancels.
func (s *capsuleState) startCtx(ctx context.Context, uuid string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	if s.cancels == nil {
		s.cancels = map[string]context.CancelFunc{}
	}
	s.cancels[uuid] = cancel
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		delete(s.cancels, uuid)
		s.mu.Unlock()
		cancel()
	}
}

func (s *capsuleState) cancelStart(uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cancel := s.cancels[uuid]; cancel != nil {
		cancel()
	}
}

// capsuleHandlers are the compute methods of capsules.
func (a *Agent) capsuleHandlers() map[string]func(context.Context, rpc.CapsuleRequest) (any, error) {
	return map[string]func(context.Context, rpc.CapsuleRequest) (any, error){
		rpc.MethodCapsuleCreate: a.opCapsuleCreate,
		rpc.MethodCapsuleDelete: a.opCapsuleDelete,
	}
}

func (a *Agent) serveCapsules() error {
	for method, h := range a.capsuleHandlers() {
		sub, err := a.bus.Handle(bus.ComputeSubject(a.cfg.Host, method), "compute", func(ctx context.Context, raw json.RawMessage) (any, error) {
			var req rpc.CapsuleRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				return nil, fmt.Errorf("bad request: %w", err)
			}
			a.wg.Add(1)
			defer a.wg.Done()
			return h(ctx, req)
		})
		if err != nil {
			return fmt.Errorf("failed to serve %s: %w", method, err)
		}
		a.subs = append(a.subs, sub)
	}
	return nil
}

func (a *Agent) capsuleDriver() (container.CapsuleDriver, error) {
	d, ok := a.drv.(container.CapsuleDriver)
	if !ok {
		return nil, fmt.Errorf("the container driver of this host does not run capsules: %w", errdefs.ErrNotImplemented)
	}
	return d, nil
}

func (a *Agent) updateCapsule(ctx context.Context, u rpc.CapsuleUpdate) {
	u.Host = a.cfg.Host
	if err := a.cond.UpdateCapsule(context.WithoutCancel(ctx), u); err != nil {
		a.log.Warn("failed to report capsule state", "capsule", u.UUID, "err", err)
	}
}

func (a *Agent) opCapsuleCreate(ctx context.Context, req rpc.CapsuleRequest) (any, error) {
	c := &req.Capsule
	ctx, done := a.caps.startCtx(ctx, c.UUID)
	defer done()
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	a.caps.remember(c)
	a.startCapsule(ctx, c)
	return nil, nil
}

// startCapsule brings c to Running (or Error with the reason): sandbox,
// volumes, images, the init containers one after another to completion,
// then the app containers. Every step is idempotent, so a start resumed
// after the agent was killed picks up where it stopped.
func (a *Agent) startCapsule(ctx context.Context, c *model.Capsule) {
	const task = api.TaskContainerCreating
	err := a.runCapsule(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			// A delete cancelled the start; it owns the capsule now.
			return
		}
		a.log.Info("capsule failed to start", "capsule", c.UUID, "err", err)
		a.caps.setFailure(c.UUID, err.Error())
		a.reportCapsule(ctx, c, task, err.Error())
		return
	}
	// Engine events and repairs read the remembered record: it now has
	// the sandbox and InitDone.
	a.caps.remember(c)
	a.reportCapsule(ctx, c, task, "")
}

func (a *Agent) runCapsule(ctx context.Context, c *model.Capsule) error {
	drv, err := a.capsuleDriver()
	if err != nil {
		return err
	}
	if err := drv.EnsureSandboxImage(ctx); err != nil {
		return fmt.Errorf("failed to get the sandbox image: %w", err)
	}
	pulled := map[[2]string]bool{}
	for _, m := range c.Members() {
		if k := [2]string{m.Image, m.ImagePullPolicy}; !pulled[k] {
			if err := a.drv.EnsureImage(ctx, m.Image, m.ImagePullPolicy); err != nil {
				return fmt.Errorf("failed to get image %s of container %s: %w", m.Image, m.Name, err)
			}
			pulled[k] = true
		}
	}
	if err := a.attachCapsuleVolumes(ctx, c); err != nil {
		return err
	}
	id, err := drv.CreateSandbox(ctx, c)
	if err != nil {
		return fmt.Errorf("failed to create the sandbox: %w", err)
	}
	c.SandboxID = id
	if err := a.ensureStarted(ctx, &model.Container{UUID: c.UUID, ContainerID: id}); err != nil {
		return fmt.Errorf("failed to start the sandbox: %w", err)
	}
	a.updateCapsule(ctx, rpc.CapsuleUpdate{UUID: c.UUID, SandboxID: &id})
	if !c.InitDone {
		for i := range c.InitContainers {
			if err := a.runInit(ctx, drv, c, &c.InitContainers[i]); err != nil {
				return err
			}
		}
		c.InitDone = true
		a.updateCapsule(ctx, rpc.CapsuleUpdate{UUID: c.UUID, InitDone: ptr(true)})
	}
	// App containers start together, as a pod's do; each one's create and
	// start are idempotent, so a failure of one leaves the others to the
	// delete or to a resumed start.
	errs := make([]error, len(c.Containers))
	var wg sync.WaitGroup
	for i := range c.Containers {
		wg.Go(func() {
			m := &c.Containers[i]
			id, err := drv.CreateMember(ctx, c, m)
			if err != nil {
				errs[i] = fmt.Errorf("failed to create container %s: %w", m.Name, err)
				return
			}
			m.ContainerID = id
			if err := a.ensureStarted(ctx, &m.Container); err != nil {
				errs[i] = fmt.Errorf("failed to start container %s: %w", m.Name, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ensureStarted starts c unless it already runs (or restarts).
func (a *Agent) ensureStarted(ctx context.Context, c *model.Container) error {
	st, err := a.drv.Inspect(ctx, c)
	if err != nil {
		return err
	}
	if st.Status == api.StatusRunning || st.Status == api.StatusRestarting {
		return nil
	}
	return a.drv.Start(ctx, c)
}

// runInit runs init container m to completion; a non-zero exit fails the
// capsule. One that already completed (a resumed start) is not re-run.
func (a *Agent) runInit(ctx context.Context, drv container.CapsuleDriver, c *model.Capsule, m *model.Member) error {
	id, err := drv.CreateMember(ctx, c, m)
	if err != nil {
		return fmt.Errorf("failed to create init container %s: %w", m.Name, err)
	}
	m.ContainerID = id
	st, err := a.drv.Inspect(ctx, &m.Container)
	if err != nil {
		return fmt.Errorf("failed to inspect init container %s: %w", m.Name, err)
	}
	code := st.ExitCode
	switch {
	case st.Status == api.StatusStopped && !st.StartedAt.IsZero():
		// Completed before an agent restart.
	default:
		if st.Status != api.StatusRunning {
			if err := a.drv.Start(ctx, &m.Container); err != nil {
				return fmt.Errorf("failed to start init container %s: %w", m.Name, err)
			}
		}
		if code, err = drv.Wait(ctx, &m.Container); err != nil {
			return fmt.Errorf("failed to wait for init container %s: %w", m.Name, err)
		}
	}
	if code != 0 {
		return fmt.Errorf("init container %s exited with code %d", m.Name, code)
	}
	return nil
}

// observe inspects the sandbox and every member of c.
func (a *Agent) observe(ctx context.Context, c *model.Capsule) (observed, map[string]observed, error) {
	var sandbox observed
	st, err := a.drv.Inspect(ctx, &model.Container{UUID: c.UUID, ContainerID: c.SandboxID})
	switch {
	case err == nil:
		sandbox = observed{state: st, present: true}
	case !errors.Is(err, errdefs.ErrNotFound):
		return sandbox, nil, err
	}
	members := map[string]observed{}
	for _, m := range c.Members() {
		st, err := a.drv.Inspect(ctx, &model.Container{UUID: m.UUID})
		switch {
		case err == nil:
			members[m.UUID] = observed{state: st, present: true}
		case !errors.Is(err, errdefs.ErrNotFound):
			return sandbox, nil, err
		}
	}
	return sandbox, members, nil
}

// reportCapsule reads the engine and reports c's members and summary.
// task ends that operation (ExpectTask); "" is an event or a sync. A
// non-empty failure is the reason of an operation that failed.
func (a *Agent) reportCapsule(ctx context.Context, c *model.Capsule, task, failure string) {
	ctx = context.WithoutCancel(ctx)
	u := rpc.CapsuleUpdate{UUID: c.UUID, ExpectTask: task, Sync: task == ""}
	if task != "" {
		u.TaskState = ptr("")
	}
	sandbox, members, err := a.observe(ctx, c)
	if err != nil {
		if failure == "" {
			failure = fmt.Sprintf("failed to inspect the capsule's containers: %v", err)
		}
		u.Status, u.StatusReason = ptr(api.StatusError), ptr(failure)
		a.updateCapsule(ctx, u)
		return
	}
	for _, m := range c.Members() {
		o, ok := members[m.UUID]
		ms := rpc.MemberState{UUID: m.UUID, Status: api.StatusError, StatusReason: "No such container"}
		if ok {
			ms = rpc.MemberState{UUID: m.UUID, ContainerID: o.state.ContainerID, Status: o.state.Status,
				StatusReason: o.state.Reason, StatusDetail: o.state.Detail, ExitCode: o.state.ExitCode, StartedAt: o.state.StartedAt}
		} else if failure != "" {
			ms.StatusReason = "not created: " + failure
		}
		u.Members = append(u.Members, ms)
	}
	status, reason := capsuleStatus(c, sandbox, members)
	if failure != "" {
		status, reason = api.StatusError, failure
	}
	u.Status, u.StatusReason = &status, &reason
	a.updateCapsule(ctx, u)
}

func (a *Agent) opCapsuleDelete(ctx context.Context, req rpc.CapsuleRequest) (any, error) {
	c := &req.Capsule
	a.caps.cancelStart(c.UUID)
	unlock := a.locks.Lock(c.UUID)
	defer unlock()
	return nil, a.removeCapsule(ctx, c)
}

// removeCapsule tears c down: members, sandbox, the volumes it created;
// then the conductor drops the record and its claim.
func (a *Agent) removeCapsule(ctx context.Context, c *model.Capsule) error {
	err := a.teardown(ctx, c.UUID, c.Members(), c.Volumes)
	if err != nil {
		err = fmt.Errorf("failed to delete capsule: %w", err)
		a.updateCapsule(ctx, rpc.CapsuleUpdate{UUID: c.UUID, Status: ptr(api.StatusError), StatusReason: ptr(err.Error()),
			TaskState: ptr(""), ExpectTask: api.TaskContainerDeleting})
		return err
	}
	a.caps.forget(c.UUID)
	if err := a.cond.CapsuleGone(context.WithoutCancel(ctx), rpc.CapsuleGone{UUID: c.UUID, Host: a.cfg.Host}); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		a.log.Warn("failed to report deleted capsule", "capsule", c.UUID, "err", err)
		return err
	}
	return nil
}

// teardown removes the engine containers and volumes of a capsule: the
// members named, any other container labelled with the capsule, the
// sandbox (its namespaces go last), then its volumes.
func (a *Agent) teardown(ctx context.Context, capsuleUUID string, members []*model.Member, vols []model.CapsuleVolume) error {
	for _, m := range members {
		if err := a.drv.Delete(ctx, &model.Container{UUID: m.UUID, ContainerID: m.ContainerID}, true); err != nil {
			return err
		}
	}
	// Also what the record does not name (a member created by a start the
	// record never heard of, or a container of an orphan).
	states, err := a.drv.List(ctx)
	if err != nil {
		return err
	}
	for _, s := range states {
		if s.Capsule == capsuleUUID && s.UUID != capsuleUUID {
			if err := a.drv.Delete(ctx, &model.Container{UUID: s.UUID, ContainerID: s.ContainerID}, true); err != nil {
				return err
			}
		}
	}
	if err := a.drv.Delete(ctx, &model.Container{UUID: capsuleUUID}, true); err != nil {
		return err
	}
	return a.releaseCapsuleVolumes(ctx, vols)
}

// capsuleEvent reports a capsule after an engine event of one of its
// containers, unless an operation owns it (it reports when done).
func (a *Agent) capsuleEvent(ctx context.Context, uuid string) {
	c, ok := a.caps.record(uuid)
	if !ok {
		select {
		case a.kick <- struct{}{}:
		default:
		}
		return
	}
	unlock, ok := a.locks.TryLock(uuid)
	if !ok {
		return
	}
	defer unlock()
	a.repairCapsule(ctx, &c)
	a.reportCapsule(ctx, &c, "", a.caps.failure(uuid))
}
