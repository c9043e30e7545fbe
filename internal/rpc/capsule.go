package rpc

import (
	"context"
	"time"

	"github.com/openzun/zun/internal/bus"
	"github.com/openzun/zun/internal/model"
)

// Compute methods of capsules.
const (
	MethodCapsuleCreate = "capsule_create"
	MethodCapsuleDelete = "capsule_delete"
)

// Conductor methods of capsules.
const (
	MethodCapsuleUpdate = "capsule_update"
	MethodCapsuleGone   = "capsule_destroy"
	MethodHostCapsules  = "host_capsules"
)

// CapsuleRequest carries a capsule record to its host.
type CapsuleRequest struct {
	Capsule   model.Capsule `json:"capsule"`
	RequestID string        `json:"request_id,omitempty"`
}

// MemberState is what the engine shows of one member of a capsule.
type MemberState struct {
	UUID         string    `json:"uuid"`
	ContainerID  string    `json:"container_id,omitempty"`
	Status       string    `json:"status"`
	StatusReason string    `json:"status_reason,omitempty"`
	StatusDetail string    `json:"status_detail,omitempty"`
	ExitCode     int       `json:"exit_code"`
	StartedAt    time.Time `json:"started_at,omitzero"`
}

// CapsuleUpdate is a state change of a capsule reported by its agent. Nil
// pointers leave fields alone; Members update the members they name.
type CapsuleUpdate struct {
	UUID         string        `json:"uuid"`
	Host         string        `json:"host"`
	Status       *string       `json:"status,omitempty"`
	StatusReason *string       `json:"status_reason,omitempty"`
	TaskState    *string       `json:"task_state,omitempty"`
	SandboxID    *string       `json:"sandbox_id,omitempty"`
	InitDone     *bool         `json:"init_done,omitempty"`
	Members      []MemberState `json:"members,omitempty"`
	// ExpectTask applies the update only while the capsule's task_state
	// equals it; Sync applies it only while no operation runs (an engine
	// event or a periodic sync).
	ExpectTask string `json:"expect_task,omitempty"`
	Sync       bool   `json:"sync,omitempty"`
}

// CapsuleGone tells the conductor the agent finished deleting a capsule.
type CapsuleGone struct {
	UUID string `json:"uuid"`
	Host string `json:"host"`
}

// HostCapsulesReply lists the capsules placed on a host.
type HostCapsulesReply struct {
	Capsules []model.Capsule `json:"capsules"`
}

// CastCapsule sends a one-way capsule operation to the capsule's host.
func (cc ComputeClient) CastCapsule(ctx context.Context, method string, req CapsuleRequest) error {
	return cc.Bus.Cast(ctx, bus.ComputeSubject(req.Capsule.Host, method), req)
}

// CallCapsule sends a capsule operation and waits for it to finish.
func (cc ComputeClient) CallCapsule(ctx context.Context, method string, req CapsuleRequest) error {
	return cc.Bus.Call(ctx, bus.ComputeSubject(req.Capsule.Host, method), req, nil)
}

// UpdateCapsule reports a capsule's state change.
func (c ConductorClient) UpdateCapsule(ctx context.Context, u CapsuleUpdate) error {
	return c.call(ctx, MethodCapsuleUpdate, u, nil)
}

// CapsuleGone reports a finished capsule delete.
func (c ConductorClient) CapsuleGone(ctx context.Context, g CapsuleGone) error {
	return c.call(ctx, MethodCapsuleGone, g, nil)
}

// HostCapsules lists the capsules placed on host.
func (c ConductorClient) HostCapsules(ctx context.Context, host string) ([]model.Capsule, error) {
	var r HostCapsulesReply
	if err := c.call(ctx, MethodHostCapsules, HostContainersRequest{Host: host}, &r); err != nil {
		return nil, err
	}
	return r.Capsules, nil
}
