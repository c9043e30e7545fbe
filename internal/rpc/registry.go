package rpc

import (
	"context"

	"github.com/openzun/zun/internal/container"
)

// MethodRegistryAuth asks the conductor for the registry credential of a
// container's pull, when the create cast that carried it was lost (an
// agent killed during the pull resumes the create at start-up).
const MethodRegistryAuth = "registry_auth"

// RegistryAuthRequest names the container (on the asking host) whose
// registry credential the agent needs.
type RegistryAuthRequest struct {
	ContainerUUID string `json:"container_uuid"`
	Host          string `json:"host"`
}

// RegistryAuthReply carries the decrypted credential; nil when the
// container names no registry. The agent uses it for one pull and never
// stores or logs it.
type RegistryAuthReply struct {
	Auth *container.RegistryAuth `json:"auth,omitempty"`
}

// RegistryAuth fetches the registry credential of a container being
// created on host.
func (c ConductorClient) RegistryAuth(ctx context.Context, r RegistryAuthRequest) (*container.RegistryAuth, error) {
	var out RegistryAuthReply
	if err := c.call(ctx, MethodRegistryAuth, r, &out); err != nil {
		return nil, err
	}
	return out.Auth, nil
}
