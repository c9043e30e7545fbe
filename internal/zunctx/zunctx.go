// Package zunctx carries the caller's identity, request id and scope through
// every layer in a context.Context under private keys. Stores call Scope so
// a query cannot forget the project.
package zunctx

import (
	"context"
	"fmt"
	"slices"

	"github.com/openzun/zun/internal/errdefs"
)

// Identity is the authenticated caller, taken from a validated token only.
type Identity struct {
	UserID      string   `json:"user_id"`
	UserName    string   `json:"user_name,omitempty"`
	ProjectID   string   `json:"project_id"`
	ProjectName string   `json:"project_name,omitempty"`
	DomainID    string   `json:"domain_id,omitempty"`
	Roles       []string `json:"roles"`
}

// HasRole reports whether the identity holds role r.
func (i Identity) HasRole(r string) bool { return slices.Contains(i.Roles, r) }

// IsAdmin reports whether the identity holds the admin role.
func (i Identity) IsAdmin() bool { return i.HasRole("admin") }

type key int

const (
	identityKey key = iota
	requestIDKey
	allProjectsKey
	systemKey
)

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// IdentityFrom returns the identity in ctx.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey).(Identity)
	return id, ok
}

// WithRequestID returns ctx carrying a request id.
func WithRequestID(ctx context.Context, rid string) context.Context {
	return context.WithValue(ctx, requestIDKey, rid)
}

// RequestID returns the request id in ctx or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithAllProjects marks ctx as allowed to see every project. The API sets it
// only for admins (after the policy check).
func WithAllProjects(ctx context.Context) context.Context {
	return context.WithValue(ctx, allProjectsKey, true)
}

// System returns a context for the service's own work (periodic tasks,
// conductor calls from compute agents): unscoped, no user.
func System(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey, true)
}

// IsSystem reports whether ctx is a system context.
func IsSystem(ctx context.Context) bool {
	b, _ := ctx.Value(systemKey).(bool)
	return b
}

// Scope returns the project a query must be limited to, or all=true when the
// context may see every project. It fails when ctx has neither an identity
// nor a system mark, so a forgotten scope is an error, never a leak.
func Scope(ctx context.Context) (project string, all bool, err error) {
	if IsSystem(ctx) {
		return "", true, nil
	}
	id, ok := IdentityFrom(ctx)
	if !ok {
		return "", false, fmt.Errorf("no identity in context: %w", errdefs.ErrUnauthorized)
	}
	if b, _ := ctx.Value(allProjectsKey).(bool); b && id.IsAdmin() {
		return "", true, nil
	}
	if id.ProjectID == "" {
		return "", false, fmt.Errorf("token has no project scope: %w", errdefs.ErrForbidden)
	}
	return id.ProjectID, false, nil
}
