// Package conductor serves, inside zun-api, the bus methods compute agents
// call (internal/rpc.ConductorClient): host registration, heartbeats,
// container state changes and action events. It is the only path from an
// agent to the store, and it checks that an agent only changes containers
// placed on its own host.
package conductor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Invalidator is told when host inventory changes (the scheduler).
type Invalidator interface{ Invalidate() }

// Conductor implements the conductor methods.
type Conductor struct {
	st    store.Store
	sched Invalidator
	log   *slog.Logger
	now   func() time.Time
	// glance serves the glance image driver's downloads (WithImages).
	glance GlanceImages
	// secrets opens registry passwords for resumed creates (WithSecrets).
	secrets SecretOpener
	// nets is the network control plane (WithNetworks).
	nets Networks
}

// New returns a conductor; sched may be nil.
func New(st store.Store, sched Invalidator, logger *slog.Logger) *Conductor {
	return &Conductor{st: st, sched: sched, log: logger.With("component", "conductor"), now: time.Now}
}

// Serve registers the methods on b (queue group "conductor", so several
// API processes share the load).
func (c *Conductor) Serve(b bus.Bus) ([]bus.Subscription, error) {
	methods := map[string]bus.Handler{
		rpc.MethodRegisterHost:       decode(c.registerHost),
		rpc.MethodHeartbeat:          decode(c.heartbeat),
		rpc.MethodContainerUpdate:    decode(c.containerUpdate),
		rpc.MethodContainerSync:      decode(c.containerSync),
		rpc.MethodContainerGone:      decode(c.containerGone),
		rpc.MethodHostContainers:     decode(c.hostContainers),
		rpc.MethodActionEvent:        decode(c.actionEvent),
		rpc.MethodConsoleHost:        decode(c.consoleHost),
		rpc.MethodVolumesAttached:    decode(c.volumesAttached),
		rpc.MethodVolumeGone:         decode(c.volumeGone),
		rpc.MethodHostVolumes:        decode(c.hostVolumes),
		rpc.MethodRegistryAuth:       decode(c.registryAuth),
		rpc.MethodBindPorts:          decode(c.bindPorts),
		rpc.MethodCommitFailed:       decode(c.commitFailed),
		rpc.MethodCommitsInterrupted: decode(c.commitsInterrupted),
	}
	maps.Copy(methods, c.capsuleMethods())
	if c.nets != nil {
		methods[rpc.MethodNetworkState] = decode(c.networkState)
	}
	for m, h := range c.imageMethods() {
		methods[m] = h
	}
	var subs []bus.Subscription
	for m, h := range methods {
		s, err := b.Handle(bus.ConductorSubject(m), "conductor", h)
		if err != nil {
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
			return nil, fmt.Errorf("failed to serve conductor %s: %w", m, err)
		}
		subs = append(subs, s)
	}
	return subs, nil
}

func decode[T any](f func(context.Context, T) (any, error)) bus.Handler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var req T
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("bad conductor request: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		return f(zunctx.System(ctx), req)
	}
}

func (c *Conductor) registerHost(ctx context.Context, r rpc.HostReport) (any, error) {
	n := r.Node
	if n.Hostname == "" {
		return nil, fmt.Errorf("host report without host name: %w", errdefs.ErrInvalidArgument)
	}
	if err := c.st.Hosts().Upsert(ctx, &n); err != nil {
		return nil, err
	}
	if _, err := c.st.Services().Heartbeat(ctx, n.Hostname, r.Binary, r.AvailabilityZone, c.now().UTC()); err != nil {
		return nil, err
	}
	if c.sched != nil {
		c.sched.Invalidate()
	}
	return nil, nil
}

func (c *Conductor) heartbeat(ctx context.Context, r rpc.HeartbeatRequest) (any, error) {
	_, err := c.st.Services().Heartbeat(ctx, r.Host, r.Binary, r.AvailabilityZone, c.now().UTC())
	return nil, err
}

var errNotOwner = errors.New("container is not placed on the reporting host")

// placedOn loads a container and checks that it is placed on host: an
// agent may ask for, or report on, only its own host's containers.
func (c *Conductor) placedOn(ctx context.Context, uuid, host string) (*model.Container, error) {
	ct, err := c.st.Containers().Get(ctx, uuid)
	if err != nil {
		return nil, err
	}
	if ct.Host != host {
		return nil, fmt.Errorf("%s: %w", errNotOwner.Error(), errdefs.ErrForbidden)
	}
	return ct, nil
}

func (c *Conductor) containerUpdate(ctx context.Context, u rpc.ContainerUpdate) (any, error) {
	_, err := c.st.Containers().Update(ctx, u.UUID, func(ct *model.Container) error {
		if ct.Host != u.Host {
			return fmt.Errorf("%s: %w", errNotOwner.Error(), errdefs.ErrForbidden)
		}
		if u.ExpectTask != "" && ct.TaskState != u.ExpectTask {
			return errStale
		}
		if ct.Status == api.StatusDeleting && u.Status != nil && *u.Status != api.StatusError {
			// A delete was accepted meanwhile; it owns the status now.
			u.Status, u.TaskState = nil, nil
		}
		applyUpdate(ct, u)
		return nil
	})
	if errors.Is(err, errStale) {
		return nil, nil
	}
	return nil, err
}

// errStale aborts an update whose operation no longer owns the container.
var errStale = errors.New("stale update")

func applyUpdate(ct *model.Container, u rpc.ContainerUpdate) {
	if u.Status != nil {
		ct.Status = *u.Status
	}
	if u.StatusReason != nil {
		ct.StatusReason = *u.StatusReason
	}
	if u.StatusDetail != nil {
		ct.StatusDetail = *u.StatusDetail
	}
	if u.TaskState != nil {
		ct.TaskState = *u.TaskState
	}
	if u.ContainerID != nil {
		ct.ContainerID = *u.ContainerID
	}
	if u.Ports != nil {
		ct.Ports = u.Ports
	}
	if u.Image != nil {
		ct.Image = *u.Image
	}
	if !u.StartedAt.IsZero() {
		ct.StartedAt = u.StartedAt
	}
	if u.CPU != nil {
		ct.CPU = *u.CPU
	}
	if u.Memory != nil {
		ct.Memory = *u.Memory
	}
}

func (c *Conductor) containerSync(ctx context.Context, s rpc.ContainerSync) (any, error) {
	_, err := c.st.Containers().Update(ctx, s.UUID, func(ct *model.Container) error {
		if ct.Host != s.Host {
			return fmt.Errorf("%s: %w", errNotOwner.Error(), errdefs.ErrForbidden)
		}
		// An operation in progress owns the state; it settles it itself.
		if ct.TaskState != "" || ct.Status == api.StatusDeleting {
			return errStale
		}
		before := syncedFields(ct)
		ct.Status, ct.StatusDetail = s.State.Status, s.State.Detail
		if s.State.Reason != "" || ct.Status != api.StatusError {
			ct.StatusReason = s.State.Reason
		}
		if s.State.ContainerID != "" {
			ct.ContainerID = s.State.ContainerID
		}
		if s.State.Ports != nil {
			ct.Ports = s.State.Ports
		}
		if !s.State.StartedAt.IsZero() {
			ct.StartedAt = s.State.StartedAt
		}
		if syncedFields(ct).equal(before) {
			// Most syncs confirm what the record says (an engine event
			// after the operation that caused it settled): no write.
			return errNoChange
		}
		return nil
	})
	if errors.Is(err, errStale) || errors.Is(err, errNoChange) || errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	return nil, err
}

// errNoChange aborts a sync that would write the record unchanged.
var errNoChange = errors.New("no change")

// synced is what a sync may change in a container record.
type synced struct {
	status, detail, reason, containerID string
	ports                               []int
	startedAt                           time.Time
}

func syncedFields(ct *model.Container) synced {
	return synced{ct.Status, ct.StatusDetail, ct.StatusReason, ct.ContainerID, slices.Clone(ct.Ports), ct.StartedAt}
}

func (a synced) equal(b synced) bool {
	return a.status == b.status && a.detail == b.detail && a.reason == b.reason &&
		a.containerID == b.containerID && slices.Equal(a.ports, b.ports) && a.startedAt.Equal(b.startedAt)
}

func (c *Conductor) containerGone(ctx context.Context, g rpc.ContainerGone) (any, error) {
	ct, err := c.st.Containers().Get(ctx, g.UUID)
	if errors.Is(err, errdefs.ErrNotFound) {
		// The record went behind the agent's back: release the volumes
		// still attached to it on the reporting host.
		return nil, c.releaseOrphanVolumes(ctx, g)
	}
	if err != nil {
		return nil, err
	}
	if ct.Host != g.Host {
		return nil, fmt.Errorf("%s: %w", errNotOwner.Error(), errdefs.ErrForbidden)
	}
	if err := c.releaseVolumes(ctx, g.UUID); err != nil {
		return nil, err
	}
	if err := c.releasePorts(ctx, g.UUID); err != nil {
		return nil, err
	}
	if err := c.st.Containers().Delete(ctx, g.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	if c.sched != nil {
		c.sched.Invalidate()
	}
	return nil, nil
}

func (c *Conductor) hostContainers(ctx context.Context, r rpc.HostContainersRequest) (any, error) {
	list, err := c.st.Containers().ListByHost(ctx, r.Host)
	if err != nil {
		return nil, err
	}
	out := rpc.HostContainersReply{Containers: make([]model.Container, 0, len(list))}
	for _, ct := range list {
		out.Containers = append(out.Containers, *ct)
	}
	return out, nil
}

func (c *Conductor) actionEvent(ctx context.Context, r rpc.ActionEventRequest) (any, error) {
	if err := c.st.Actions().AddEvent(ctx, r.ContainerUUID, r.RequestID, r.Event); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	if r.Finish {
		if err := c.st.Actions().Finish(ctx, r.ContainerUUID, r.RequestID, c.now().UTC(), r.Message); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// consoleHost tells the websocket proxy where a container runs. It reveals
// only a host name to a holder of bus credentials; the session itself is
// authorised by the agent against the token's grant.
func (c *Conductor) consoleHost(ctx context.Context, r rpc.ConsoleHostRequest) (any, error) {
	ct, err := c.st.Containers().Get(ctx, r.UUID)
	if err != nil {
		return nil, err
	}
	if ct.UUID != r.UUID {
		return nil, fmt.Errorf("container %s: %w", r.UUID, errdefs.ErrNotFound)
	}
	return rpc.ConsoleHostReply{Host: ct.Host}, nil
}
