// Package store defines the persistence contracts of zun-api. Backends live
// in sub-packages (sqlstore: SQLite and PostgreSQL) and pass the shared
// conformance suite in storetest. Only zun-api holds a store; compute agents
// reach state through the conductor over the bus.
//
// Scoping: every method that reads or writes tenant data takes the project
// from the context (zunctx.Scope). A system context (zunctx.System) is
// unscoped. Rows of another project behave exactly as missing rows
// (errdefs.ErrNotFound), so existence is never revealed.
package store

import (
	"context"
	"time"

	"github.com/openzun/zun/internal/model"
)

// Store is the whole persistence layer.
type Store interface {
	Containers() Containers
	Hosts() Hosts
	Services() Services
	Actions() Actions
	Identity() Identity
	Quotas() Quotas
	Capsules() Capsules
	Volumes() Volumes
	GlanceImages() GlanceImages
	Images() Images
	Registries() Registries
	Networks() Networks
	Close() error
}

// ListOptions pages and sorts a list. Marker is the UUID of the last item of
// the previous page. Limit 0 means no limit.
type ListOptions struct {
	Limit   int
	Marker  string
	SortKey string // a column name, validated by the backend
	SortDir string // "asc" (default) or "desc"
}

// ContainerFilter narrows a container list; empty fields match everything.
type ContainerFilter struct {
	Name       string
	Image      string
	ProjectID  string
	UserID     string
	Memory     *int64
	Host       string
	TaskState  string
	Status     string
	AutoRemove *bool
}

// Containers stores containers.
type Containers interface {
	// Create inserts c, setting ID, CreatedAt and UpdatedAt. A name already
	// used in the same project gives errdefs.ErrAlreadyExists.
	Create(ctx context.Context, c *model.Container) error
	// Get finds by UUID, then by name within scope. A name matching several
	// containers (possible only for an all-projects scope) gives
	// errdefs.ErrConflict. Missing or out-of-scope: errdefs.ErrNotFound.
	Get(ctx context.Context, uuidOrName string) (*model.Container, error)
	// List lists within scope.
	List(ctx context.Context, f ContainerFilter, opts ListOptions) ([]*model.Container, error)
	// Update runs fn on the current record inside one transaction and
	// writes the result; fn's error aborts it and is returned as is. It is
	// the only way to change a container, so checks of state in fn are
	// race-free. A rename to a used name gives errdefs.ErrAlreadyExists.
	Update(ctx context.Context, uuid string, fn func(c *model.Container) error) (*model.Container, error)
	// Delete removes the record and its allocation. Missing: ErrNotFound.
	Delete(ctx context.Context, uuid string) error
	// ListByHost lists every container placed on host (unscoped; for the
	// conductor and reconcile).
	ListByHost(ctx context.Context, host string) ([]*model.Container, error)
	// Count counts the containers of a project (for quotas).
	Count(ctx context.Context, projectID string) (int, error)
	// CreateInQuota is Create after checking, in the same transaction and
	// under the project's quota lock, that the project's usage plus c stays
	// within its effective limits (Quotas.Limits). Over: an
	// *OverQuotaError (errdefs.ErrQuotaExceeded) and nothing is written.
	CreateInQuota(ctx context.Context, c *model.Container) error
	// UpdateInQuota is Update with the same check of the cpu, memory and
	// disk that fn adds to the project's usage (what fn lowers is always
	// allowed).
	UpdateInQuota(ctx context.Context, uuid string, fn func(c *model.Container) error) (*model.Container, error)
}

// Capsules stores capsules, their members inside. Scoping and errors are
// those of Containers; a capsule's allocation is keyed by its UUID, so
// Hosts.Claim and Release work on capsules too.
type Capsules interface {
	// Create inserts c, setting ID, CreatedAt and UpdatedAt. A name already
	// used by a capsule of the same project gives errdefs.ErrAlreadyExists.
	Create(ctx context.Context, c *model.Capsule) error
	// Get finds by UUID, then by name within scope (several matches:
	// errdefs.ErrConflict).
	Get(ctx context.Context, uuidOrName string) (*model.Capsule, error)
	List(ctx context.Context, opts ListOptions) ([]*model.Capsule, error)
	// Update runs fn on the current record in one transaction.
	Update(ctx context.Context, uuid string, fn func(c *model.Capsule) error) (*model.Capsule, error)
	// Delete removes the record and its allocation. Missing: ErrNotFound.
	Delete(ctx context.Context, uuid string) error
	// ListByHost lists every capsule placed on host (unscoped).
	ListByHost(ctx context.Context, host string) ([]*model.Capsule, error)
}

// Hosts stores compute nodes and their allocations.
type Hosts interface {
	// Upsert creates or updates a node by hostname (its UUID is kept).
	Upsert(ctx context.Context, n *model.ComputeNode) error
	Get(ctx context.Context, uuidOrHostname string) (*model.ComputeNode, error)
	List(ctx context.Context, opts ListOptions) ([]*model.ComputeNode, error)
	Delete(ctx context.Context, hostname string) error
	// Usage returns what allocations claim on each host, keyed by hostname.
	Usage(ctx context.Context) (map[string]model.Usage, error)
	// Claim records a's allocation and sets the container's host in one
	// transaction that re-checks capacity (ComputeNode.Capacity minus the
	// sum of allocations on that host). A host without room gives
	// errdefs.ErrConflict; nothing is written then. Correct under
	// concurrency from several API processes on one PostgreSQL.
	Claim(ctx context.Context, a model.Allocation) error
	// ClaimBatch claims allocs in one transaction (group commit). Each
	// allocation, in order, is re-checked exactly as Claim does, counting
	// the allocations of the batch recorded before it, and is recorded or
	// refused on its own: the result has one entry per allocation, nil
	// when claimed, else the error Claim would give (errdefs.ErrConflict,
	// ErrNotFound, ErrAlreadyExists, ErrInvalidArgument). A database
	// failure fails every item. Correct under concurrency like Claim.
	ClaimBatch(ctx context.Context, allocs []model.Allocation) []error
	// Resize changes an existing allocation with the same capacity re-check.
	Resize(ctx context.Context, containerUUID string, cpu float64, memory int64) error
	// Release drops a container's allocation (no error if none).
	Release(ctx context.Context, containerUUID string) error
}

// Services stores service records and heartbeats.
type Services interface {
	// Heartbeat creates the (host, binary) record if needed, sets
	// LastSeenUp to now and increments ReportCount. It returns the record.
	Heartbeat(ctx context.Context, host, binary, az string, now time.Time) (*model.Service, error)
	Get(ctx context.Context, host, binary string) (*model.Service, error)
	List(ctx context.Context) ([]*model.Service, error)
	// Update runs fn on the record in one transaction (enable, disable,
	// force_down). Missing: ErrNotFound.
	Update(ctx context.Context, host, binary string, fn func(s *model.Service) error) (*model.Service, error)
	Delete(ctx context.Context, host, binary string) error
}

// Actions stores container actions and their events.
type Actions interface {
	// Start records a new action (StartTime set by the caller).
	Start(ctx context.Context, a *model.Action) error
	// Finish sets FinishTime and Message of the action of (container,
	// request id); missing is not an error.
	Finish(ctx context.Context, containerUUID, requestID string, finish time.Time, message string) error
	// AddEvent appends or updates (by name) an event of the action.
	AddEvent(ctx context.Context, containerUUID, requestID string, e model.Event) error
	// List lists a container's actions, newest first (scope of the
	// container is checked by the caller).
	List(ctx context.Context, containerUUID string) ([]*model.Action, error)
	// Get returns one action with its events. Missing: ErrNotFound.
	Get(ctx context.Context, containerUUID, requestID string) (*model.Action, error)
}

// Identity stores the embedded Keystone's records. Names are unique per
// domain (ErrAlreadyExists).
type Identity interface {
	CreateProject(ctx context.Context, p *model.Project) error
	GetProject(ctx context.Context, idOrName, domainID string) (*model.Project, error)
	ListProjects(ctx context.Context) ([]*model.Project, error)
	CreateUser(ctx context.Context, u *model.User) error
	GetUser(ctx context.Context, idOrName, domainID string) (*model.User, error)
	ListUsers(ctx context.Context) ([]*model.User, error)
	CreateRole(ctx context.Context, r *model.Role) error
	GetRole(ctx context.Context, idOrName string) (*model.Role, error)
	ListRoles(ctx context.Context) ([]*model.Role, error)
	// Assign is idempotent. a.ProjectID set grants on the project, else
	// a.DomainID on the domain.
	Assign(ctx context.Context, a model.RoleAssignment) error
	// RolesOf returns the role names of user on project.
	RolesOf(ctx context.Context, userID, projectID string) ([]string, error)

	// UpdateProject runs fn on the record in one transaction and writes
	// the result (name, description, enabled). Missing: ErrNotFound; a
	// name used in the domain: ErrAlreadyExists.
	UpdateProject(ctx context.Context, id string, fn func(p *model.Project) error) (*model.Project, error)
	// DeleteProject removes the project and its role assignments.
	DeleteProject(ctx context.Context, id string) error
	// UpdateUser is UpdateProject for users (name, password hash,
	// default project, enabled).
	UpdateUser(ctx context.Context, id string, fn func(u *model.User) error) (*model.User, error)
	// DeleteUser removes the user and its role assignments.
	DeleteUser(ctx context.Context, id string) error
	// DeleteRole removes the role and every assignment of it.
	DeleteRole(ctx context.Context, id string) error

	// CreateDomain inserts a domain; names are unique (ErrAlreadyExists).
	CreateDomain(ctx context.Context, d *model.Domain) error
	// GetDomain finds by id, then by name.
	GetDomain(ctx context.Context, idOrName string) (*model.Domain, error)
	ListDomains(ctx context.Context) ([]*model.Domain, error)
	UpdateDomain(ctx context.Context, id string, fn func(d *model.Domain) error) (*model.Domain, error)
	// DeleteDomain removes a domain and its role assignments; a domain
	// still owning projects or users gives ErrConflict.
	DeleteDomain(ctx context.Context, id string) error

	// Unassign revokes one assignment; one not held gives ErrNotFound.
	Unassign(ctx context.Context, a model.RoleAssignment) error
	// ListAssignments lists the project and domain assignments matching
	// every non-empty field of f (a ProjectID filter excludes domain
	// assignments and a DomainID filter project ones).
	ListAssignments(ctx context.Context, f model.RoleAssignment) ([]model.RoleAssignment, error)
	// DomainRolesOf returns the role names of user on domain.
	DomainRolesOf(ctx context.Context, userID, domainID string) ([]string, error)

	// AddRevocation records a token revocation event.
	AddRevocation(ctx context.Context, r model.Revocation) error
	// ListRevocations returns the events not expired at now.
	ListRevocations(ctx context.Context, now time.Time) ([]model.Revocation, error)
	// PruneRevocations deletes the events expired at now.
	PruneRevocations(ctx context.Context, now time.Time) error

	// AddSigningKey publishes a public key; adding an existing id is a
	// no-op.
	AddSigningKey(ctx context.Context, k model.SigningKey) error
	// RetireSigningKeys sets expiresAt on every signing key but keepID
	// that has none yet.
	RetireSigningKeys(ctx context.Context, keepID string, expiresAt time.Time) error
	// ListSigningKeys returns the keys not expired at now.
	ListSigningKeys(ctx context.Context, now time.Time) ([]model.SigningKey, error)
}
