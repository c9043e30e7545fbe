package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

const maxUserName = 255

// userListItem renders a user; the password hash never leaves the store.
type userListItem struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	DomainID          string            `json:"domain_id"`
	DefaultProjectID  string            `json:"default_project_id,omitempty"`
	Enabled           bool              `json:"enabled"`
	PasswordExpiresAt *string           `json:"password_expires_at"`
	Options           map[string]any    `json:"options"`
	Links             map[string]string `json:"links"`
}

func (s *Service) userItem(u *model.User) userListItem {
	return userListItem{
		ID: u.ID, Name: u.Name, DomainID: u.DomainID, DefaultProjectID: u.DefaultProjectID,
		Enabled: u.Enabled, Options: map[string]any{},
		Links: map[string]string{"self": s.cfg.PublicURL + "/v3/users/" + u.ID},
	}
}

// userByID returns the user whose id is id (not name).
func (s *Service) userByID(ctx context.Context, id string) (*model.User, error) {
	u, err := s.st.GetUser(ctx, id, DefaultDomainID)
	switch {
	case err == nil && u.ID == id:
		return u, nil
	case err == nil || errors.Is(err, errdefs.ErrNotFound):
		return nil, notFound("user", id)
	default:
		return nil, fmt.Errorf("get user: %w", err)
	}
}

// listUsers is GET /v3/users with the ?name=, ?domain_id= and ?enabled=
// filters.
func (s *Service) listUsers(r *http.Request, _ *claims) (int, any, error) {
	f, err := parseListFilter(r)
	if err != nil {
		return 0, nil, err
	}
	all, err := s.st.ListUsers(r.Context())
	if err != nil {
		return 0, nil, fmt.Errorf("list users: %w", err)
	}
	out := []userListItem{}
	for _, u := range all {
		if f.match(u.Name, u.DomainID, u.Enabled) {
			out = append(out, s.userItem(u))
		}
	}
	slices.SortFunc(out, func(a, b userListItem) int { return cmp.Compare(a.Name, b.Name) })
	return http.StatusOK, map[string]any{"users": out, "links": s.links("/v3/users")}, nil
}

// showUser is GET /v3/users/{user_id}.
func (s *Service) showUser(r *http.Request, _ *claims) (int, any, error) {
	u, err := s.userByID(r.Context(), r.PathValue("user_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"user": s.userItem(u)}, nil
}

// userCreate is the validated body of POST /v3/users.
type userCreate struct {
	name, password, defaultProject, domainID string
	hasPassword, enabled                     bool
}

func (s *Service) parseUserCreate(r *http.Request) (*userCreate, error) {
	o, err := decodeBody(r, "user")
	if err != nil {
		return nil, err
	}
	var uc userCreate
	if uc.name, err = o.name(maxUserName); err != nil {
		return nil, err
	}
	if uc.domainID, err = s.domainIDMember(r.Context(), o, "domain_id"); err != nil {
		return nil, err
	}
	if uc.defaultProject, _, err = o.str("default_project_id", false, true); err != nil {
		return nil, err
	}
	if uc.password, uc.hasPassword, err = o.str("password", false, true); err != nil {
		return nil, err
	}
	if uc.hasPassword && !validPassword(uc.password) {
		return nil, invalid("user.password", "must be %d to %d bytes long.", minPasswordLen, maxPasswordLen)
	}
	if uc.enabled, err = o.boolean("enabled", true); err != nil {
		return nil, err
	}
	if err := unstoredUserMembers(o); err != nil {
		return nil, err
	}
	return &uc, nil
}

func validPassword(p string) bool { return len(p) >= minPasswordLen && len(p) <= maxPasswordLen }

// unstoredUserMembers refuses values this service would lose.
func unstoredUserMembers(o *object) error {
	for _, m := range []struct{ name, why string }{
		{"email", "e-mail addresses are not stored by this identity service."},
		{"description", "user descriptions are not stored by this identity service."},
		{"options", "resource options are not supported."},
		{"federated", "federated users are not supported."},
	} {
		if err := o.emptyOrAbsent(m.name, m.why); err != nil {
			return err
		}
	}
	return nil
}

// checkDefaultProject requires an existing project.
func (s *Service) checkDefaultProject(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	if _, err := s.projectByID(ctx, id); err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return invalid("user.default_project_id", "project %s does not exist.", clip(id))
		}
		return err
	}
	return nil
}

// hash runs bcrypt, the costly part of the call, bounded like logins.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	if err := s.acquireHash(ctx); err != nil {
		return "", err
	}
	defer s.releaseHash()
	h, err := HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// createUser is POST /v3/users.
func (s *Service) createUser(r *http.Request, c *claims) (int, any, error) {
	uc, err := s.parseUserCreate(r)
	if err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	if err := s.checkDefaultProject(ctx, uc.defaultProject); err != nil {
		return 0, nil, err
	}
	// As for projects, a name equal to an existing id counts as taken.
	switch _, err := s.st.GetUser(ctx, uc.name, uc.domainID); {
	case err == nil:
		return 0, nil, duplicate("user", uc.name, uc.domainID)
	case !errors.Is(err, errdefs.ErrNotFound):
		return 0, nil, fmt.Errorf("get user: %w", err)
	}
	u := &model.User{
		ID: newID(), Name: uc.name, DomainID: uc.domainID, DefaultProjectID: uc.defaultProject,
		Enabled: uc.enabled, CreatedAt: s.now().UTC(),
	}
	if uc.hasPassword {
		if u.PasswordHash, err = s.hash(ctx, uc.password); err != nil {
			return 0, nil, err
		}
	}
	if err := s.st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, duplicate("user", uc.name, uc.domainID)
		}
		return 0, nil, fmt.Errorf("create user: %w", err)
	}
	s.log.InfoContext(ctx, "created user", "user_id", u.ID, "name", clip(u.Name), "by", c.UserID)
	return http.StatusCreated, map[string]any{"user": s.userItem(u)}, nil
}

// updateUser is PATCH /v3/users/{user_id} ("openstack user set"): name,
// password, enabled and default_project_id. A new password or disabling
// revokes the user's tokens.
func (s *Service) updateUser(r *http.Request, c *claims) (int, any, error) {
	o, err := decodeBody(r, "user")
	if err != nil {
		return 0, nil, err
	}
	name, hasName := "", o.has("name")
	if hasName {
		if name, err = o.name(maxUserName); err != nil {
			return 0, nil, err
		}
	}
	password, hasPassword, err := o.str("password", false, true)
	if err != nil {
		return 0, nil, err
	}
	if hasPassword && !validPassword(password) {
		return 0, nil, invalid("user.password", "must be %d to %d bytes long.", minPasswordLen, maxPasswordLen)
	}
	hasEnabled := o.has("enabled")
	enabled, err := o.boolean("enabled", true)
	if err != nil {
		return 0, nil, err
	}
	project, hasProject, err := o.str("default_project_id", false, true)
	if err != nil {
		return 0, nil, err
	}
	hasProject = hasProject || o.isNull("default_project_id")
	if d, ok, err := o.str("domain_id", false, true); err != nil {
		return 0, nil, err
	} else if ok && d != "" {
		return 0, nil, invalid("user.domain_id", "a user cannot move to another domain.")
	}
	if err := unstoredUserMembers(o); err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	cur, err := s.userByID(ctx, r.PathValue("user_id"))
	if err != nil {
		return 0, nil, err
	}
	if err := s.checkDefaultProject(ctx, project); err != nil {
		return 0, nil, err
	}
	if hasName && name != cur.Name {
		if other, err := s.st.GetUser(ctx, name, cur.DomainID); err == nil && other.ID != cur.ID {
			return 0, nil, duplicate("user", name, cur.DomainID)
		}
	}
	hash := ""
	if hasPassword {
		if hash, err = s.hash(ctx, password); err != nil {
			return 0, nil, err
		}
	}
	var wasEnabled bool
	u, err := s.st.UpdateUser(ctx, cur.ID, func(u *model.User) error {
		wasEnabled = u.Enabled
		if hasName {
			u.Name = name
		}
		if hasPassword {
			u.PasswordHash = hash
		}
		if hasEnabled {
			u.Enabled = enabled
		}
		if hasProject {
			u.DefaultProjectID = project
		}
		return nil
	})
	if err != nil {
		return 0, nil, s.storeError(err, "user", cur.ID, name, cur.DomainID)
	}
	if hasPassword || (wasEnabled && !u.Enabled) {
		if err := s.revokeAll(ctx, model.Revocation{UserID: u.ID}); err != nil {
			return 0, nil, err
		}
	}
	s.log.InfoContext(ctx, "updated user", "user_id", u.ID, "password_changed", hasPassword, "by", c.UserID)
	return http.StatusOK, map[string]any{"user": s.userItem(u)}, nil
}

// changePassword is POST /v3/users/{user_id}/password ("openstack user
// password set"): the user changes its own password, giving the current
// one. Its tokens, the caller's included, are revoked.
func (s *Service) changePassword(r *http.Request, c *claims) (int, any, error) {
	o, err := decodeBody(r, "user")
	if err != nil {
		return 0, nil, err
	}
	original, _, err := o.str("original_password", true, false)
	if err != nil {
		return 0, nil, err
	}
	password, _, err := o.str("password", true, false)
	if err != nil {
		return 0, nil, err
	}
	if !validPassword(password) {
		return 0, nil, invalid("user.password", "must be %d to %d bytes long.", minPasswordLen, maxPasswordLen)
	}
	ctx := r.Context()
	u, err := s.userByID(ctx, r.PathValue("user_id"))
	if err != nil {
		return 0, nil, err
	}
	if err := s.acquireHash(ctx); err != nil {
		return 0, nil, err
	}
	ok := checkPassword(u.PasswordHash, original)
	s.releaseHash()
	if !ok {
		return 0, nil, newAPIError(errdefs.ErrUnauthorized, msgAuthRequired)
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.st.UpdateUser(ctx, u.ID, func(u *model.User) error { u.PasswordHash = hash; return nil }); err != nil {
		return 0, nil, s.storeError(err, "user", u.ID, "")
	}
	if err := s.revokeAll(ctx, model.Revocation{UserID: u.ID}); err != nil {
		return 0, nil, err
	}
	s.log.InfoContext(ctx, "changed password", "user_id", u.ID, "by", c.UserID)
	return http.StatusNoContent, nil, nil
}

// deleteUser is DELETE /v3/users/{user_id}: its role assignments go with
// it and its tokens are revoked.
func (s *Service) deleteUser(r *http.Request, c *claims) (int, any, error) {
	ctx := r.Context()
	u, err := s.userByID(ctx, r.PathValue("user_id"))
	if err != nil {
		return 0, nil, err
	}
	if u.ID == c.UserID {
		return 0, nil, newAPIError(errdefs.ErrForbidden, "You cannot delete yourself.")
	}
	if err := s.st.DeleteUser(ctx, u.ID); err != nil {
		return 0, nil, s.storeError(err, "user", u.ID, "")
	}
	if err := s.revokeAll(ctx, model.Revocation{UserID: u.ID}); err != nil {
		return 0, nil, err
	}
	s.log.InfoContext(ctx, "deleted user", "user_id", u.ID, "name", clip(u.Name), "by", c.UserID)
	return http.StatusNoContent, nil, nil
}
