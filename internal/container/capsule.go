package container

import (
	"context"

	"github.com/openzun/zun/internal/model"
)

// Labels of capsule containers: every member and the sandbox carry the
// capsule's uuid, so a reconcile finds what a capsule left on the engine
// even without its record.
const (
	LabelCapsule     = "zun.capsule"
	LabelCapsuleRole = "zun.capsule_role" // sandbox, init or app
)

// SandboxImage is the image of capsule sandboxes, built by the agent from
// the zun-pause binary (bump the tag when cmd/zun-pause changes).
const SandboxImage = "zun/pause:1"

// CapsuleDriver runs capsules: a sandbox container holds the network, IPC
// and PID namespaces and its members join them. Members and the sandbox
// are otherwise ordinary containers of the Driver (model.Container{UUID,
// ContainerID} addresses them; the sandbox's UUID is the capsule's).
//
// Volumes are the volume service's (the agent attaches them and sets
// model.CapsuleVolume.HostPath); the driver only binds those directories.
type CapsuleDriver interface {
	// EnsureSandboxImage makes SandboxImage present, building it offline
	// if needed.
	EnsureSandboxImage(ctx context.Context) error
	// CreateSandbox creates (not starts) c's sandbox, named
	// c.SandboxName(), publishing the ports of c's members. Idempotent as
	// Driver.Create.
	CreateSandbox(ctx context.Context, c *model.Capsule) (string, error)
	// CreateMember creates (not starts) member m of c inside the sandbox's
	// namespaces with c's volumes (their HostPath) bound at m's volume
	// mounts. Idempotent as Driver.Create.
	CreateMember(ctx context.Context, c *model.Capsule, m *model.Member) (string, error)
	// Wait waits until a started container stops and returns its exit
	// code.
	Wait(ctx context.Context, c *model.Container) (int, error)
}
