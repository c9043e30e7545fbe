package conductor

import (
	"context"
	"errors"
	"fmt"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// capsuleMethods are the conductor methods of capsules.
func (c *Conductor) capsuleMethods() map[string]bus.Handler {
	return map[string]bus.Handler{
		rpc.MethodCapsuleUpdate: decode(c.capsuleUpdate),
		rpc.MethodCapsuleGone:   decode(c.capsuleGone),
		rpc.MethodHostCapsules:  decode(c.hostCapsules),
	}
}

func (c *Conductor) capsuleUpdate(ctx context.Context, u rpc.CapsuleUpdate) (any, error) {
	_, err := c.st.Capsules().Update(ctx, u.UUID, func(cp *model.Capsule) error {
		if cp.Host != u.Host {
			return fmt.Errorf("capsule is not placed on the reporting host: %w", errdefs.ErrForbidden)
		}
		if u.ExpectTask != "" && cp.TaskState != u.ExpectTask {
			return errStale
		}
		deleting := cp.Status == api.StatusDeleting || cp.TaskState == api.TaskContainerDeleting
		if u.Sync && (cp.TaskState != "" || deleting) {
			return errStale
		}
		if deleting && u.Status != nil && *u.Status != api.StatusError {
			// A delete was accepted meanwhile; it owns the status now.
			u.Status, u.TaskState = nil, nil
		}
		applyCapsuleUpdate(cp, u)
		return nil
	})
	if errors.Is(err, errStale) || (u.Sync && errors.Is(err, errdefs.ErrNotFound)) {
		return nil, nil
	}
	return nil, err
}

func applyCapsuleUpdate(cp *model.Capsule, u rpc.CapsuleUpdate) {
	if u.Status != nil {
		cp.Status = *u.Status
	}
	if u.StatusReason != nil {
		cp.StatusReason = *u.StatusReason
	}
	if u.TaskState != nil {
		cp.TaskState = *u.TaskState
	}
	if u.SandboxID != nil {
		cp.SandboxID = *u.SandboxID
	}
	if u.InitDone != nil {
		cp.InitDone = *u.InitDone
	}
	byUUID := make(map[string]rpc.MemberState, len(u.Members))
	for _, m := range u.Members {
		byUUID[m.UUID] = m
	}
	for _, m := range cp.Members() {
		s, ok := byUUID[m.UUID]
		if !ok {
			continue
		}
		m.Status, m.StatusReason, m.StatusDetail, m.ExitCode = s.Status, s.StatusReason, s.StatusDetail, s.ExitCode
		if s.ContainerID != "" {
			m.ContainerID = s.ContainerID
		}
		if !s.StartedAt.IsZero() {
			m.StartedAt = s.StartedAt
		}
	}
}

func (c *Conductor) capsuleGone(ctx context.Context, g rpc.CapsuleGone) (any, error) {
	cp, err := c.st.Capsules().Get(ctx, g.UUID)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if cp.Host != g.Host {
		return nil, fmt.Errorf("capsule is not placed on the reporting host: %w", errdefs.ErrForbidden)
	}
	if err := c.releasePorts(ctx, g.UUID); err != nil {
		return nil, err
	}
	if err := c.st.Capsules().Delete(ctx, g.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	if c.sched != nil {
		c.sched.Invalidate()
	}
	return nil, nil
}

func (c *Conductor) hostCapsules(ctx context.Context, r rpc.HostContainersRequest) (any, error) {
	list, err := c.st.Capsules().ListByHost(ctx, r.Host)
	if err != nil {
		return nil, err
	}
	out := rpc.HostCapsulesReply{Capsules: make([]model.Capsule, 0, len(list))}
	for _, cp := range list {
		out.Capsules = append(out.Capsules, *cp)
	}
	return out, nil
}
