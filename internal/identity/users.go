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
		if f.match(u.Name, u.Enabled) {
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
	name, password, defaultProject string
	hasPassword, enabled           bool
}

func parseUserCreate(r *http.Request) (*userCreate, error) {
	o, err := decodeBody(r, "user")
	if err != nil {
		return nil, err
	}
	var uc userCreate
	if uc.name, err = o.name(maxUserName); err != nil {
		return nil, err
	}
	if err := o.domainID("domain_id"); err != nil {
		return nil, err
	}
	if uc.defaultProject, _, err = o.str("default_project_id", false, true); err != nil {
		return nil, err
	}
	if uc.password, uc.hasPassword, err = o.str("password", false, true); err != nil {
		return nil, err
	}
	if uc.hasPassword && (len(uc.password) < minPasswordLen || len(uc.password) > maxPasswordLen) {
		return nil, invalid("user.password", "must be %d to %d bytes long.", minPasswordLen, maxPasswordLen)
	}
	if uc.enabled, err = o.boolean("enabled", true); err != nil {
		return nil, err
	}
	for _, m := range []struct{ name, why string }{
		{"email", "e-mail addresses are not stored by this identity service."},
		{"description", "user descriptions are not stored by this identity service."},
		{"options", "resource options are not supported."},
		{"federated", "federated users are not supported."},
	} {
		if err := o.emptyOrAbsent(m.name, m.why); err != nil {
			return nil, err
		}
	}
	return &uc, nil
}

// createUser is POST /v3/users.
func (s *Service) createUser(r *http.Request, c *claims) (int, any, error) {
	uc, err := parseUserCreate(r)
	if err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	if uc.defaultProject != "" {
		if _, err := s.projectByID(ctx, uc.defaultProject); err != nil {
			if errors.Is(err, errdefs.ErrNotFound) {
				return 0, nil, invalid("user.default_project_id", "project %s does not exist.", clip(uc.defaultProject))
			}
			return 0, nil, err
		}
	}
	// As for projects, a name equal to an existing id counts as taken.
	switch _, err := s.st.GetUser(ctx, uc.name, DefaultDomainID); {
	case err == nil:
		return 0, nil, duplicate("user", uc.name)
	case !errors.Is(err, errdefs.ErrNotFound):
		return 0, nil, fmt.Errorf("get user: %w", err)
	}
	u := &model.User{
		ID: newID(), Name: uc.name, DomainID: DefaultDomainID, DefaultProjectID: uc.defaultProject,
		Enabled: uc.enabled, CreatedAt: s.now().UTC(),
	}
	if uc.hasPassword {
		// bcrypt is the costly part of the call: bounded like logins.
		if err := s.acquireHash(ctx); err != nil {
			return 0, nil, err
		}
		u.PasswordHash, err = HashPassword(uc.password)
		s.releaseHash()
		if err != nil {
			return 0, nil, fmt.Errorf("hash password: %w", err)
		}
	}
	if err := s.st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, duplicate("user", uc.name)
		}
		return 0, nil, fmt.Errorf("create user: %w", err)
	}
	s.log.InfoContext(ctx, "created user", "user_id", u.ID, "name", clip(u.Name), "by", c.UserID)
	return http.StatusCreated, map[string]any{"user": s.userItem(u)}, nil
}
