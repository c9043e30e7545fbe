package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// DefaultDomain is the domain of projects and users created without one
// and the domain looked up when none is given.
const DefaultDomain = "default"

// identity implements store.Identity.
type identity struct{ s *Store }

var _ store.Identity = (*identity)(nil)

// newID is a Keystone-style id: a UUID without dashes.
func newID() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }

func domainOr(d string) string {
	if d == "" {
		return DefaultDomain
	}
	return d
}

func (is *identity) CreateProject(ctx context.Context, p *model.Project) error {
	if p.Name == "" {
		return fmt.Errorf("project has no name: %w", errdefs.ErrInvalidArgument)
	}
	if p.ID == "" {
		p.ID = newID()
	}
	p.DomainID = domainOr(p.DomainID)
	p.CreatedAt = norm(p.CreatedAt)
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now()
	}
	_, err := is.s.write.exec(ctx, "INSERT INTO projects (id, name, domain_id, description, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		p.ID, p.Name, p.DomainID, p.Description, p.Enabled, micros(p.CreatedAt))
	if err != nil {
		return is.s.d.dbError(err, fmt.Sprintf("create project %q", p.Name))
	}
	return nil
}

const projectCols = "id, name, domain_id, description, enabled, created_at"

func scanProject(sc scanner) (*model.Project, error) {
	var (
		p       model.Project
		created int64
	)
	if err := sc.Scan(&p.ID, &p.Name, &p.DomainID, &p.Description, &p.Enabled, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	return &p, nil
}

func (is *identity) GetProject(ctx context.Context, idOrName, domainID string) (*model.Project, error) {
	p, err := scanProject(is.s.read.queryRow(ctx, "SELECT "+projectCols+" FROM projects WHERE id = ?", idOrName))
	if isNoRows(err) {
		p, err = scanProject(is.s.read.queryRow(ctx, "SELECT "+projectCols+" FROM projects WHERE name = ? AND domain_id = ?",
			idOrName, domainOr(domainID)))
	}
	if isNoRows(err) {
		return nil, fmt.Errorf("project %s could not be found: %w", idOrName, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, is.s.d.dbError(err, "get project")
	}
	return p, nil
}

func (is *identity) ListProjects(ctx context.Context) ([]*model.Project, error) {
	rows, err := is.s.read.query(ctx, "SELECT "+projectCols+" FROM projects ORDER BY domain_id, name")
	if err != nil {
		return nil, is.s.d.dbError(err, "list projects")
	}
	return collect(rows, scanProject, is.s.d, "list projects")
}

func (is *identity) CreateUser(ctx context.Context, u *model.User) error {
	if u.Name == "" {
		return fmt.Errorf("user has no name: %w", errdefs.ErrInvalidArgument)
	}
	if u.ID == "" {
		u.ID = newID()
	}
	u.DomainID = domainOr(u.DomainID)
	u.CreatedAt = norm(u.CreatedAt)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now()
	}
	_, err := is.s.write.exec(ctx, `INSERT INTO users (id, name, domain_id, default_project_id, password_hash, enabled, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Name, u.DomainID, u.DefaultProjectID, u.PasswordHash, u.Enabled, micros(u.CreatedAt))
	if err != nil {
		return is.s.d.dbError(err, fmt.Sprintf("create user %q", u.Name))
	}
	return nil
}

const userCols = "id, name, domain_id, default_project_id, password_hash, enabled, created_at"

func scanUser(sc scanner) (*model.User, error) {
	var (
		u       model.User
		created int64
	)
	if err := sc.Scan(&u.ID, &u.Name, &u.DomainID, &u.DefaultProjectID, &u.PasswordHash, &u.Enabled, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

func (is *identity) GetUser(ctx context.Context, idOrName, domainID string) (*model.User, error) {
	u, err := scanUser(is.s.read.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", idOrName))
	if isNoRows(err) {
		u, err = scanUser(is.s.read.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE name = ? AND domain_id = ?",
			idOrName, domainOr(domainID)))
	}
	if isNoRows(err) {
		return nil, fmt.Errorf("user %s could not be found: %w", idOrName, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, is.s.d.dbError(err, "get user")
	}
	return u, nil
}

func (is *identity) ListUsers(ctx context.Context) ([]*model.User, error) {
	rows, err := is.s.read.query(ctx, "SELECT "+userCols+" FROM users ORDER BY domain_id, name")
	if err != nil {
		return nil, is.s.d.dbError(err, "list users")
	}
	return collect(rows, scanUser, is.s.d, "list users")
}

func (is *identity) CreateRole(ctx context.Context, r *model.Role) error {
	if r.Name == "" {
		return fmt.Errorf("role has no name: %w", errdefs.ErrInvalidArgument)
	}
	if r.ID == "" {
		r.ID = newID()
	}
	if _, err := is.s.write.exec(ctx, "INSERT INTO roles (id, name) VALUES (?, ?)", r.ID, r.Name); err != nil {
		return is.s.d.dbError(err, fmt.Sprintf("create role %q", r.Name))
	}
	return nil
}

func scanRole(sc scanner) (*model.Role, error) {
	var r model.Role
	if err := sc.Scan(&r.ID, &r.Name); err != nil {
		return nil, err
	}
	return &r, nil
}

func (is *identity) GetRole(ctx context.Context, idOrName string) (*model.Role, error) {
	r, err := scanRole(is.s.read.queryRow(ctx, "SELECT id, name FROM roles WHERE id = ?", idOrName))
	if isNoRows(err) {
		r, err = scanRole(is.s.read.queryRow(ctx, "SELECT id, name FROM roles WHERE name = ?", idOrName))
	}
	if isNoRows(err) {
		return nil, fmt.Errorf("role %s could not be found: %w", idOrName, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, is.s.d.dbError(err, "get role")
	}
	return r, nil
}

func (is *identity) ListRoles(ctx context.Context) ([]*model.Role, error) {
	rows, err := is.s.read.query(ctx, "SELECT id, name FROM roles ORDER BY name")
	if err != nil {
		return nil, is.s.d.dbError(err, "list roles")
	}
	return collect(rows, scanRole, is.s.d, "list roles")
}

// Assign grants a role; granting it again is no error. An unknown user,
// project or role gives ErrNotFound.
func (is *identity) Assign(ctx context.Context, a model.RoleAssignment) error {
	if a.ProjectID == "" {
		if a.DomainID == "" {
			return fmt.Errorf("role assignment without project or domain: %w", errdefs.ErrInvalidArgument)
		}
		return is.assignDomain(ctx, a)
	}
	_, err := is.s.write.exec(ctx, `INSERT INTO role_assignments (user_id, project_id, role_id) VALUES (?, ?, ?)
        ON CONFLICT (user_id, project_id, role_id) DO NOTHING`, a.UserID, a.ProjectID, a.RoleID)
	if err != nil {
		return is.s.d.dbError(err, fmt.Sprintf("assign role %s to user %s on project %s", a.RoleID, a.UserID, a.ProjectID))
	}
	return nil
}

func (is *identity) RolesOf(ctx context.Context, userID, projectID string) ([]string, error) {
	rows, err := is.s.read.query(ctx, `SELECT r.name FROM role_assignments a JOIN roles r ON r.id = a.role_id
        WHERE a.user_id = ? AND a.project_id = ? ORDER BY r.name`, userID, projectID)
	if err != nil {
		return nil, is.s.d.dbError(err, "list roles of user")
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, is.s.d.dbError(err, "list roles of user")
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, is.s.d.dbError(err, "list roles of user")
	}
	return names, nil
}

// rowsScanner is what collect needs of *sql.Rows.
type rowsScanner interface {
	scanner
	Next() bool
	Err() error
	Close() error
}

func collect[T any](rows rowsScanner, scan func(scanner) (*T, error), d *dialect, what string) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, d.dbError(err, what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, d.dbError(err, what)
	}
	return out, nil
}
