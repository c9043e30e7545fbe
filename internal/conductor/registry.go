package conductor

import (
	"context"
	"fmt"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/rpc"
)

// SecretOpener decrypts a sealed registry password bound to its registry.
type SecretOpener interface {
	Open(sealed, aad string) (string, error)
}

// WithSecrets lets agents fetch the registry credential of a create they
// resume (the password decrypted here, with the API's key).
func (c *Conductor) WithSecrets(s SecretOpener) *Conductor {
	c.secrets = s
	return c
}

// registryAuth hands the registry credential of a container to the agent
// of its host, only while the container is being created or rebuilt (the
// only time it pulls with it). The password is never logged.
func (c *Conductor) registryAuth(ctx context.Context, r rpc.RegistryAuthRequest) (any, error) {
	ct, err := c.placedOn(ctx, r.ContainerUUID, r.Host)
	if err != nil {
		return nil, err
	}
	if ct.RegistryID == "" {
		return rpc.RegistryAuthReply{}, nil
	}
	switch ct.TaskState {
	case api.TaskImagePulling, api.TaskContainerCreating, api.TaskContainerRebuilding:
	default:
		return nil, fmt.Errorf("container %s is not being created (task %q): %w", ct.UUID, ct.TaskState, errdefs.ErrConflict)
	}
	if c.secrets == nil {
		return nil, errdefs.New(errdefs.ErrNotImplemented, "this deployment keeps no registry secrets")
	}
	reg, err := c.st.Registries().Get(ctx, ct.RegistryID)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", ct.RegistryID, err)
	}
	auth := &container.RegistryAuth{Username: reg.Username, ServerAddress: reg.Domain}
	if reg.SealedPassword != "" {
		if auth.Password, err = c.secrets.Open(reg.SealedPassword, reg.UUID); err != nil {
			return nil, fmt.Errorf("the password of registry %s cannot be decrypted with this API's key: %w", reg.UUID, errdefs.ErrFailedPrecondition)
		}
	}
	c.log.Info("handed a registry credential to an agent resuming a create", "uuid", ct.UUID, "host", r.Host, "registry", reg.UUID)
	return rpc.RegistryAuthReply{Auth: auth}, nil
}
