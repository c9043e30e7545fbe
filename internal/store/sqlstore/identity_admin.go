package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func (is *identity) UpdateProject(ctx context.Context, id string, fn func(p *model.Project) error) (*model.Project, error) {
	var out *model.Project
	err := is.s.write.inTx(ctx, func(t *tx) error {
		p, err := scanProject(t.queryRow(ctx, "SELECT "+projectCols+" FROM projects WHERE id = ?"+is.s.d.forUpdate, id))
		if isNoRows(err) {
			return fmt.Errorf("project %s could not be found: %w", id, errdefs.ErrNotFound)
		}
		if err != nil {
			return is.s.d.dbError(err, "get project")
		}
		if err := fn(p); err != nil {
			return err
		}
		if p.Name == "" {
			return fmt.Errorf("project has no name: %w", errdefs.ErrInvalidArgument)
		}
		p.ID = id
		if _, err := t.exec(ctx, "UPDATE projects SET name = ?, description = ?, enabled = ? WHERE id = ?",
			p.Name, p.Description, p.Enabled, id); err != nil {
			return is.s.d.dbError(err, fmt.Sprintf("update project %q", p.Name))
		}
		out = p
		return nil
	})
	return out, err
}

// deleteByID deletes the row of table with id; none is ErrNotFound.
func (is *identity) deleteByID(ctx context.Context, table, kind, id string) error {
	res, err := is.s.write.exec(ctx, "DELETE FROM "+table+" WHERE id = ?", id)
	if err != nil {
		return is.s.d.dbError(err, "delete "+kind)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%s %s could not be found: %w", kind, id, errdefs.ErrNotFound)
	}
	return nil
}

// DeleteProject relies on ON DELETE CASCADE for the assignments.
func (is *identity) DeleteProject(ctx context.Context, id string) error {
	return is.deleteByID(ctx, "projects", "project", id)
}

func (is *identity) UpdateUser(ctx context.Context, id string, fn func(u *model.User) error) (*model.User, error) {
	var out *model.User
	err := is.s.write.inTx(ctx, func(t *tx) error {
		u, err := scanUser(t.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?"+is.s.d.forUpdate, id))
		if isNoRows(err) {
			return fmt.Errorf("user %s could not be found: %w", id, errdefs.ErrNotFound)
		}
		if err != nil {
			return is.s.d.dbError(err, "get user")
		}
		if err := fn(u); err != nil {
			return err
		}
		if u.Name == "" {
			return fmt.Errorf("user has no name: %w", errdefs.ErrInvalidArgument)
		}
		u.ID = id
		if _, err := t.exec(ctx, `UPDATE users SET name = ?, default_project_id = ?, password_hash = ?, enabled = ?
            WHERE id = ?`, u.Name, u.DefaultProjectID, u.PasswordHash, u.Enabled, id); err != nil {
			return is.s.d.dbError(err, fmt.Sprintf("update user %q", u.Name))
		}
		out = u
		return nil
	})
	return out, err
}

func (is *identity) DeleteUser(ctx context.Context, id string) error {
	return is.deleteByID(ctx, "users", "user", id)
}

func (is *identity) DeleteRole(ctx context.Context, id string) error {
	return is.deleteByID(ctx, "roles", "role", id)
}

const domainCols = "id, name, description, enabled, created_at"

func scanDomain(sc scanner) (*model.Domain, error) {
	var (
		d       model.Domain
		created int64
	)
	if err := sc.Scan(&d.ID, &d.Name, &d.Description, &d.Enabled, &created); err != nil {
		return nil, err
	}
	d.CreatedAt = fromMicros(created)
	return &d, nil
}

func (is *identity) CreateDomain(ctx context.Context, d *model.Domain) error {
	if d.Name == "" {
		return fmt.Errorf("domain has no name: %w", errdefs.ErrInvalidArgument)
	}
	if d.ID == "" {
		d.ID = newID()
	}
	d.CreatedAt = norm(d.CreatedAt)
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now()
	}
	_, err := is.s.write.exec(ctx, "INSERT INTO domains ("+domainCols+") VALUES (?, ?, ?, ?, ?)",
		d.ID, d.Name, d.Description, d.Enabled, micros(d.CreatedAt))
	if err != nil {
		return is.s.d.dbError(err, fmt.Sprintf("create domain %q", d.Name))
	}
	return nil
}

func (is *identity) GetDomain(ctx context.Context, idOrName string) (*model.Domain, error) {
	d, err := scanDomain(is.s.read.queryRow(ctx, "SELECT "+domainCols+" FROM domains WHERE id = ?", idOrName))
	if isNoRows(err) {
		d, err = scanDomain(is.s.read.queryRow(ctx, "SELECT "+domainCols+" FROM domains WHERE name = ?", idOrName))
	}
	if isNoRows(err) {
		return nil, fmt.Errorf("domain %s could not be found: %w", idOrName, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, is.s.d.dbError(err, "get domain")
	}
	return d, nil
}

func (is *identity) ListDomains(ctx context.Context) ([]*model.Domain, error) {
	rows, err := is.s.read.query(ctx, "SELECT "+domainCols+" FROM domains ORDER BY name")
	if err != nil {
		return nil, is.s.d.dbError(err, "list domains")
	}
	return collect(rows, scanDomain, is.s.d, "list domains")
}

func (is *identity) UpdateDomain(ctx context.Context, id string, fn func(d *model.Domain) error) (*model.Domain, error) {
	var out *model.Domain
	err := is.s.write.inTx(ctx, func(t *tx) error {
		d, err := scanDomain(t.queryRow(ctx, "SELECT "+domainCols+" FROM domains WHERE id = ?"+is.s.d.forUpdate, id))
		if isNoRows(err) {
			return fmt.Errorf("domain %s could not be found: %w", id, errdefs.ErrNotFound)
		}
		if err != nil {
			return is.s.d.dbError(err, "get domain")
		}
		if err := fn(d); err != nil {
			return err
		}
		if d.Name == "" {
			return fmt.Errorf("domain has no name: %w", errdefs.ErrInvalidArgument)
		}
		d.ID = id
		if _, err := t.exec(ctx, "UPDATE domains SET name = ?, description = ?, enabled = ? WHERE id = ?",
			d.Name, d.Description, d.Enabled, id); err != nil {
			return is.s.d.dbError(err, fmt.Sprintf("update domain %q", d.Name))
		}
		out = d
		return nil
	})
	return out, err
}

// DeleteDomain checks for owned projects and users in the deleting
// transaction, so a concurrent create cannot leave orphans behind it
// (on PostgreSQL the row lock orders it after a create's check).
func (is *identity) DeleteDomain(ctx context.Context, id string) error {
	return is.s.write.inTx(ctx, func(t *tx) error {
		if _, err := scanDomain(t.queryRow(ctx, "SELECT "+domainCols+" FROM domains WHERE id = ?"+is.s.d.forUpdate, id)); err != nil {
			if isNoRows(err) {
				return fmt.Errorf("domain %s could not be found: %w", id, errdefs.ErrNotFound)
			}
			return is.s.d.dbError(err, "get domain")
		}
		var n int
		if err := t.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM projects WHERE domain_id = ?) +
            (SELECT COUNT(*) FROM users WHERE domain_id = ?)`, id, id).Scan(&n); err != nil {
			return is.s.d.dbError(err, "count domain members")
		}
		if n > 0 {
			return fmt.Errorf("domain %s still owns %d projects or users: %w", id, n, errdefs.ErrConflict)
		}
		if _, err := t.exec(ctx, "DELETE FROM domains WHERE id = ?", id); err != nil {
			return is.s.d.dbError(err, "delete domain")
		}
		return nil
	})
}

// Assign of a domain assignment; project ones are in identity.go.
func (is *identity) assignDomain(ctx context.Context, a model.RoleAssignment) error {
	_, err := is.s.write.exec(ctx, `INSERT INTO domain_role_assignments (user_id, domain_id, role_id) VALUES (?, ?, ?)
        ON CONFLICT (user_id, domain_id, role_id) DO NOTHING`, a.UserID, a.DomainID, a.RoleID)
	if err != nil {
		return is.s.d.dbError(err, fmt.Sprintf("assign role %s to user %s on domain %s", a.RoleID, a.UserID, a.DomainID))
	}
	return nil
}

func (is *identity) Unassign(ctx context.Context, a model.RoleAssignment) error {
	q, target := "DELETE FROM role_assignments WHERE user_id = ? AND project_id = ? AND role_id = ?", a.ProjectID
	if a.ProjectID == "" {
		q, target = "DELETE FROM domain_role_assignments WHERE user_id = ? AND domain_id = ? AND role_id = ?", a.DomainID
	}
	res, err := is.s.write.exec(ctx, q, a.UserID, target, a.RoleID)
	if err != nil {
		return is.s.d.dbError(err, "unassign role")
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("role assignment could not be found: %w", errdefs.ErrNotFound)
	}
	return nil
}

func (is *identity) ListAssignments(ctx context.Context, f model.RoleAssignment) ([]model.RoleAssignment, error) {
	var out []model.RoleAssignment
	for _, tbl := range []struct{ table, col, want string }{
		{"role_assignments", "project_id", f.ProjectID},
		{"domain_role_assignments", "domain_id", f.DomainID},
	} {
		if (tbl.col == "project_id" && f.DomainID != "") || (tbl.col == "domain_id" && f.ProjectID != "") {
			continue
		}
		q := "SELECT user_id, " + tbl.col + ", role_id FROM " + tbl.table + " WHERE 1 = 1"
		var args []any
		for _, c := range []struct{ col, v string }{{"user_id", f.UserID}, {tbl.col, tbl.want}, {"role_id", f.RoleID}} {
			if c.v != "" {
				q += " AND " + c.col + " = ?"
				args = append(args, c.v)
			}
		}
		rows, err := is.s.read.queryDynamic(ctx, q+" ORDER BY "+tbl.col+", user_id, role_id", args...)
		if err != nil {
			return nil, is.s.d.dbError(err, "list role assignments")
		}
		for rows.Next() {
			var a model.RoleAssignment
			var target string
			if err := rows.Scan(&a.UserID, &target, &a.RoleID); err != nil {
				rows.Close()
				return nil, is.s.d.dbError(err, "list role assignments")
			}
			if tbl.col == "project_id" {
				a.ProjectID = target
			} else {
				a.DomainID = target
			}
			out = append(out, a)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, is.s.d.dbError(err, "list role assignments")
		}
	}
	return out, nil
}

func (is *identity) DomainRolesOf(ctx context.Context, userID, domainID string) ([]string, error) {
	rows, err := is.s.read.query(ctx, `SELECT r.name FROM domain_role_assignments a JOIN roles r ON r.id = a.role_id
        WHERE a.user_id = ? AND a.domain_id = ? ORDER BY r.name`, userID, domainID)
	if err != nil {
		return nil, is.s.d.dbError(err, "list domain roles of user")
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, is.s.d.dbError(err, "list domain roles of user")
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, is.s.d.dbError(err, "list domain roles of user")
	}
	return names, nil
}

func (is *identity) AddRevocation(ctx context.Context, r model.Revocation) error {
	if r.AuditID == "" && r.UserID == "" && r.ProjectID == "" && r.DomainID == "" {
		return fmt.Errorf("revocation matches every token: %w", errdefs.ErrInvalidArgument)
	}
	_, err := is.s.write.exec(ctx, `INSERT INTO token_revocations
        (audit_id, user_id, project_id, domain_id, issued_before, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.AuditID, r.UserID, r.ProjectID, r.DomainID, micros(norm(r.IssuedBefore)), micros(norm(r.ExpiresAt)))
	if err != nil {
		return is.s.d.dbError(err, "add token revocation")
	}
	return nil
}

func (is *identity) PruneRevocations(ctx context.Context, at time.Time) error {
	if _, err := is.s.write.exec(ctx, "DELETE FROM token_revocations WHERE expires_at <= ?", micros(norm(at))); err != nil {
		return is.s.d.dbError(err, "prune token revocations")
	}
	return nil
}

func (is *identity) ListRevocations(ctx context.Context, at time.Time) ([]model.Revocation, error) {
	rows, err := is.s.read.query(ctx, `SELECT audit_id, user_id, project_id, domain_id, issued_before, expires_at
        FROM token_revocations WHERE expires_at > ? ORDER BY id`, micros(norm(at)))
	if err != nil {
		return nil, is.s.d.dbError(err, "list token revocations")
	}
	defer rows.Close()
	var out []model.Revocation
	for rows.Next() {
		var (
			r               model.Revocation
			issued, expires int64
		)
		if err := rows.Scan(&r.AuditID, &r.UserID, &r.ProjectID, &r.DomainID, &issued, &expires); err != nil {
			return nil, is.s.d.dbError(err, "list token revocations")
		}
		r.IssuedBefore, r.ExpiresAt = fromMicros(issued), fromMicros(expires)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, is.s.d.dbError(err, "list token revocations")
	}
	return out, nil
}

func (is *identity) AddSigningKey(ctx context.Context, k model.SigningKey) error {
	if k.ID == "" || len(k.PublicKey) == 0 {
		return fmt.Errorf("signing key without id or key: %w", errdefs.ErrInvalidArgument)
	}
	created := norm(k.CreatedAt)
	if created.IsZero() {
		created = now()
	}
	var exp int64
	if !k.ExpiresAt.IsZero() {
		exp = micros(norm(k.ExpiresAt))
	}
	_, err := is.s.write.exec(ctx, `INSERT INTO signing_keys (key_id, public_key, created_at, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (key_id) DO NOTHING`, k.ID, base64.StdEncoding.EncodeToString(k.PublicKey), micros(created), exp)
	if err != nil {
		return is.s.d.dbError(err, "add signing key")
	}
	return nil
}

func (is *identity) RetireSigningKeys(ctx context.Context, keepID string, expiresAt time.Time) error {
	_, err := is.s.write.exec(ctx, "UPDATE signing_keys SET expires_at = ? WHERE key_id <> ? AND expires_at = 0",
		micros(norm(expiresAt)), keepID)
	if err != nil {
		return is.s.d.dbError(err, "retire signing keys")
	}
	return nil
}

func (is *identity) ListSigningKeys(ctx context.Context, at time.Time) ([]model.SigningKey, error) {
	rows, err := is.s.read.query(ctx, `SELECT key_id, public_key, created_at, expires_at FROM signing_keys
        WHERE expires_at = 0 OR expires_at > ? ORDER BY created_at, key_id`, micros(norm(at)))
	if err != nil {
		return nil, is.s.d.dbError(err, "list signing keys")
	}
	defer rows.Close()
	var out []model.SigningKey
	for rows.Next() {
		var (
			k                model.SigningKey
			pub              string
			created, expires int64
		)
		if err := rows.Scan(&k.ID, &pub, &created, &expires); err != nil {
			return nil, is.s.d.dbError(err, "list signing keys")
		}
		if k.PublicKey, err = base64.StdEncoding.DecodeString(pub); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		k.CreatedAt = fromMicros(created)
		if expires != 0 {
			k.ExpiresAt = fromMicros(expires)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, is.s.d.dbError(err, "list signing keys")
	}
	return out, nil
}
