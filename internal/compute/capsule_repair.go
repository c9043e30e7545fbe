package compute

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// Bounds of the delay between two repairs of one capsule: a member that
// cannot start is retried ever more slowly, as Kubernetes' crash loop
// back-off does, instead of on every engine event.
const (
	repairBackoffMin = time.Second
	repairBackoffMax = 2 * time.Minute
)

// repairPlan is what brings a started capsule back to its restart policy.
type repairPlan struct {
	// newSandbox: the sandbox is gone; create it, and recreate every app
	// member that should run (theirs joined the old one by ID).
	newSandbox bool
	// startSandbox: the sandbox exists but does not run (docker kill and
	// docker stop are not restarted by Docker's policy).
	startSandbox bool
	// members are the app members (indices into Capsule.Containers) to
	// recreate inside the sandbox's current namespaces.
	members []int
	why     string
}

func (p repairPlan) empty() bool { return !p.newSandbox && !p.startSandbox && len(p.members) == 0 }

// wantsRestart reports whether an app container that stopped with code
// should run again under the capsule's policy.
func wantsRestart(policy string, code int) bool {
	switch policy {
	case "Always":
		return true
	case "OnFailure":
		return code != 0
	}
	return false
}

// planRepair decides, from what the engine shows, how a started capsule
// converges when its sandbox died or was restarted, or when Docker will
// not restart a member its policy wants running. Members must never live
// in namespaces other than the sandbox's: sharing the PID namespace, they
// die with the sandbox's pause; one still running but started before the
// sandbox's current start holds the old network and IPC namespaces (split)
// and is recreated. Under Never nothing is restarted (the capsule shows
// Error). A member Docker restarts by itself (Restarting) is left to it.
func planRepair(c *model.Capsule, sandbox observed, apps map[string]observed) repairPlan {
	var p repairPlan
	if c.RestartPolicy == "Never" || c.RestartPolicy == "" {
		return p
	}
	switch {
	case !sandbox.present:
		p.newSandbox, p.why = true, "sandbox is missing"
	case sandbox.state.Status == api.StatusPaused:
		return p // paused on purpose; its members keep its namespaces
	case sandbox.state.Status != api.StatusRunning:
		p.startSandbox, p.why = true, "sandbox is "+sandbox.state.Status
	}
	sandboxDown := p.newSandbox || p.startSandbox
	for i := range c.Containers {
		m := &c.Containers[i]
		o := apps[m.UUID]
		switch {
		case !o.present:
			p.members = append(p.members, i)
			p.why = join(p.why, fmt.Sprintf("container %s is missing", m.Name))
		case o.state.Status == api.StatusRestarting:
		case o.state.Status == api.StatusStopped && !wantsRestart(c.RestartPolicy, o.state.ExitCode):
			// Completed as its policy allows (OnFailure, code 0).
		case o.state.Status == api.StatusRunning || o.state.Status == api.StatusPaused:
			if sandboxDown || o.state.StartedAt.Before(sandbox.state.StartedAt) {
				p.members = append(p.members, i)
				p.why = join(p.why, fmt.Sprintf("container %s runs outside the sandbox's namespaces", m.Name))
			}
		default: // Stopped (Docker gave up or was told to stop), Created, Error, Dead
			p.members = append(p.members, i)
			p.why = join(p.why, fmt.Sprintf("container %s is %s", m.Name, o.state.Status))
		}
	}
	return p
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// repairBackoff spaces the repairs of each capsule.
type repairBackoff struct {
	mu    sync.Mutex
	state map[string]backoffState
}

type backoffState struct {
	next  time.Time
	delay time.Duration
}

// take reports how long to wait before repairing uuid; zero means now,
// and the next repair then waits twice as long.
func (b *repairBackoff) take(uuid string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == nil {
		b.state = map[string]backoffState{}
	}
	s := b.state[uuid]
	if now.Before(s.next) {
		return s.next.Sub(now)
	}
	s.delay = min(max(2*s.delay, repairBackoffMin), repairBackoffMax)
	s.next = now.Add(s.delay)
	b.state[uuid] = s
	return 0
}

// reset forgets uuid's back-off once its capsule needs no repair.
func (b *repairBackoff) reset(uuid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.state, uuid)
}

// repairCapsule converges a started capsule (see planRepair). The caller
// holds the capsule's lock and reports the capsule afterwards.
func (a *Agent) repairCapsule(ctx context.Context, c *model.Capsule) {
	if !c.InitDone || c.TaskState != "" || c.Status == api.StatusDeleting || a.caps.failure(c.UUID) != "" {
		return
	}
	drv, err := a.capsuleDriver()
	if err != nil {
		return
	}
	sandbox, apps, err := a.observe(ctx, c)
	if err != nil {
		return
	}
	plan := planRepair(c, sandbox, apps)
	if plan.empty() {
		a.repairs.reset(c.UUID)
		return
	}
	if wait := a.repairs.take(c.UUID, time.Now()); wait > 0 {
		// Come back when the back-off ends: nothing else may call.
		time.AfterFunc(wait, func() {
			select {
			case a.kick <- struct{}{}:
			default:
			}
		})
		return
	}
	a.log.Info("repairing capsule", "capsule", c.UUID, "why", plan.why)
	if err := a.applyRepair(ctx, drv, c, plan); err != nil {
		a.log.Warn("failed to repair capsule", "capsule", c.UUID, "err", err)
	}
	a.caps.remember(c)
}

func (a *Agent) applyRepair(ctx context.Context, drv container.CapsuleDriver, c *model.Capsule, plan repairPlan) error {
	// Members may be recreated: their volumes must be mounted (after a
	// host reboot they are not) and their directories known.
	if err := a.attachCapsuleVolumes(ctx, c); err != nil {
		return err
	}
	if plan.newSandbox {
		id, err := drv.CreateSandbox(ctx, c)
		if err != nil {
			return fmt.Errorf("failed to create the sandbox again: %w", err)
		}
		c.SandboxID = id
		a.updateCapsule(ctx, rpc.CapsuleUpdate{UUID: c.UUID, SandboxID: &id})
	}
	if plan.newSandbox || plan.startSandbox {
		if err := a.ensureStarted(ctx, &model.Container{UUID: c.UUID, ContainerID: c.SandboxID}); err != nil {
			return fmt.Errorf("failed to start the sandbox: %w", err)
		}
	}
	for _, i := range plan.members {
		m := &c.Containers[i]
		// Recreated, not restarted: a member's namespaces are fixed at
		// create time by the sandbox's ID, which may have changed.
		if err := a.drv.Delete(ctx, &model.Container{UUID: m.UUID}, true); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return fmt.Errorf("failed to remove container %s: %w", m.Name, err)
		}
		id, err := drv.CreateMember(ctx, c, m)
		if err != nil {
			return fmt.Errorf("failed to create container %s again: %w", m.Name, err)
		}
		m.ContainerID = id
		if err := a.ensureStarted(ctx, &m.Container); err != nil {
			return fmt.Errorf("failed to start container %s: %w", m.Name, err)
		}
	}
	return nil
}
