// Package policy decides whether a caller may perform an API operation.
// Every route of internal/apiserver names a rule registered here; a name that
// is not registered denies (and is reported at start-up by Check), so a typo
// can never allow.
package policy

import (
	"context"
	"fmt"
	"sort"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

// Target is what a rule is checked against.
type Target struct {
	ProjectID string
}

// Check is a compiled rule.
type Check func(id zunctx.Identity, t Target) bool

// Base checks, named as Zun's base rules.
var (
	AdminAPI     Check = func(id zunctx.Identity, _ Target) bool { return id.IsAdmin() }
	AdminOrOwner Check = func(id zunctx.Identity, t Target) bool {
		return id.IsAdmin() || (t.ProjectID != "" && id.ProjectID == t.ProjectID)
	}
	// Authenticated allows any caller with a project-scoped token; used for
	// list and create routes whose target is the caller's own project.
	Authenticated Check = func(id zunctx.Identity, _ Target) bool { return id.ProjectID != "" }
	DenyEverybody Check = func(zunctx.Identity, Target) bool { return false }
)

// Enforcer holds the rules.
type Enforcer struct {
	rules map[string]Check
}

// New returns an enforcer with Zun's default rules.
func New() *Enforcer {
	return &Enforcer{rules: Defaults()}
}

// Set overrides or adds a rule.
func (e *Enforcer) Set(name string, c Check) { e.rules[name] = c }

// Registered reports whether name is a registered rule.
func (e *Enforcer) Registered(name string) bool {
	_, ok := e.rules[name]
	return ok
}

// Names lists the registered rules.
func (e *Enforcer) Names() []string {
	out := make([]string, 0, len(e.rules))
	for n := range e.rules {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Allowed evaluates rule for the caller in ctx; unknown rules deny.
func (e *Enforcer) Allowed(ctx context.Context, rule string, t Target) bool {
	id, ok := zunctx.IdentityFrom(ctx)
	if !ok {
		return false
	}
	c, ok := e.rules[rule]
	if !ok {
		return false
	}
	return c(id, t)
}

// Authorize returns errdefs.ErrForbidden when rule denies.
func (e *Enforcer) Authorize(ctx context.Context, rule string, t Target) error {
	if e.Allowed(ctx, rule, t) {
		return nil
	}
	if !e.Registered(rule) {
		return fmt.Errorf("policy rule %q is not registered: %w", rule, errdefs.ErrForbidden)
	}
	return errdefs.New(errdefs.ErrForbidden, fmt.Sprintf("Policy doesn't allow %s to be performed.", rule))
}
