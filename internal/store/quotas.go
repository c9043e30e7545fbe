package store

import (
	"context"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Quotas stores quota limits and counts usage. A project's effective
// limit of a resource is its override, else the limit of the class
// model.DefaultQuotaClass, else model.DefaultQuotaLimits. Usage is counted
// from the live container rows, so it is exact whatever failed before.
//
// Project methods are scoped: a project scope reaches only its own
// project (others are errdefs.ErrNotFound); class writes need an
// all-projects or system scope (errdefs.ErrForbidden otherwise).
type Quotas interface {
	// ProjectLimits returns the overrides of project (possibly empty).
	ProjectLimits(ctx context.Context, projectID string) (model.QuotaLimits, error)
	// Limits returns the effective limit of every resource of project.
	Limits(ctx context.Context, projectID string) (model.QuotaLimits, error)
	// SetProjectLimits creates or replaces the given overrides.
	SetProjectLimits(ctx context.Context, projectID string, l model.QuotaLimits) error
	// DeleteProjectLimits drops every override of project (none: no error).
	DeleteProjectLimits(ctx context.Context, projectID string) error
	// ClassLimits returns the limits of class over the built-in defaults.
	ClassLimits(ctx context.Context, class string) (model.QuotaLimits, error)
	// SetClassLimits creates or replaces the given limits of class.
	SetClassLimits(ctx context.Context, class string, l model.QuotaLimits) error
	// Usage counts project's containers and sums their cpu, memory, disk.
	Usage(ctx context.Context, projectID string) (model.QuotaUsage, error)
}

// OverQuotaError refuses a change that would take a project beyond its
// limits. Its text is Zun's OverQuota message.
type OverQuotaError struct {
	// Resources are the resources over their limit, sorted.
	Resources []string
}

func (e *OverQuotaError) Error() string {
	quoted := make([]string, len(e.Resources))
	for i, r := range e.Resources {
		quoted[i] = "'" + r + "'"
	}
	return "Quota exceeded for resources: [" + strings.Join(quoted, ", ") + "]"
}

// Unwrap gives the category.
func (e *OverQuotaError) Unwrap() error { return errdefs.ErrQuotaExceeded }
