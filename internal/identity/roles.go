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

type roleListItem struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	DomainID *string           `json:"domain_id"`
	Options  map[string]any    `json:"options"`
	Links    map[string]string `json:"links"`
}

func (s *Service) roleItem(r *model.Role) roleListItem {
	return roleListItem{
		ID: r.ID, Name: r.Name, Options: map[string]any{},
		Links: map[string]string{"self": s.cfg.PublicURL + "/v3/roles/" + r.ID},
	}
}

// roleByID returns the role whose id is id (not name).
func (s *Service) roleByID(ctx context.Context, id string) (*model.Role, error) {
	r, err := s.st.GetRole(ctx, id)
	switch {
	case err == nil && r.ID == id:
		return r, nil
	case err == nil || errors.Is(err, errdefs.ErrNotFound):
		return nil, notFound("role", id)
	default:
		return nil, fmt.Errorf("get role: %w", err)
	}
}

// listRoles is GET /v3/roles with the ?name= and ?domain_id= filters;
// every role is global (domain_id null), so a domain filter matches none.
func (s *Service) listRoles(r *http.Request, _ *claims) (int, any, error) {
	q := r.URL.Query()
	all, err := s.st.ListRoles(r.Context())
	if err != nil {
		return 0, nil, fmt.Errorf("list roles: %w", err)
	}
	out := []roleListItem{}
	for _, role := range all {
		if (q.Has("name") && q.Get("name") != role.Name) || q.Get("domain_id") != "" {
			continue
		}
		out = append(out, s.roleItem(role))
	}
	slices.SortFunc(out, func(a, b roleListItem) int { return cmp.Compare(a.Name, b.Name) })
	return http.StatusOK, map[string]any{"roles": out, "links": s.links("/v3/roles")}, nil
}

// showRole is GET /v3/roles/{role_id}.
func (s *Service) showRole(r *http.Request, _ *claims) (int, any, error) {
	role, err := s.roleByID(r.Context(), r.PathValue("role_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"role": s.roleItem(role)}, nil
}

// grantTarget resolves the {project_id}, {user_id} and, when withRole,
// {role_id} of a project role assignment path; each must exist.
func (s *Service) grantTarget(r *http.Request, withRole bool) (*model.Project, *model.User, *model.Role, error) {
	ctx := r.Context()
	p, err := s.projectByID(ctx, r.PathValue("project_id"))
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := s.userByID(ctx, r.PathValue("user_id"))
	if err != nil {
		return nil, nil, nil, err
	}
	if !withRole {
		return p, u, nil, nil
	}
	role, err := s.roleByID(ctx, r.PathValue("role_id"))
	if err != nil {
		return nil, nil, nil, err
	}
	return p, u, role, nil
}

// grantRole is PUT /v3/projects/{project_id}/users/{user_id}/roles/{role_id};
// granting an existing assignment again succeeds.
func (s *Service) grantRole(r *http.Request, c *claims) (int, any, error) {
	p, u, role, err := s.grantTarget(r, true)
	if err != nil {
		return 0, nil, err
	}
	if err := s.st.Assign(r.Context(), model.RoleAssignment{UserID: u.ID, ProjectID: p.ID, RoleID: role.ID}); err != nil {
		return 0, nil, fmt.Errorf("assign role: %w", err)
	}
	s.log.InfoContext(r.Context(), "granted role", "role", role.Name, "user_id", u.ID,
		"project_id", p.ID, "by", c.UserID)
	return http.StatusNoContent, nil, nil
}

// checkRole is HEAD and GET
// /v3/projects/{project_id}/users/{user_id}/roles/{role_id}: 204 if the
// user holds the role on the project, else 404.
func (s *Service) checkRole(r *http.Request, _ *claims) (int, any, error) {
	p, u, role, err := s.grantTarget(r, true)
	if err != nil {
		return 0, nil, err
	}
	names, err := s.st.RolesOf(r.Context(), u.ID, p.ID)
	if err != nil {
		return 0, nil, fmt.Errorf("roles of user: %w", err)
	}
	if !slices.Contains(names, role.Name) {
		return 0, nil, newAPIError(errdefs.ErrNotFound, fmt.Sprintf(
			"Could not find role assignment with role: %s, user or group: %s, project, domain, or system: %s.",
			role.ID, u.ID, p.ID))
	}
	return http.StatusNoContent, nil, nil
}

// listGrants is GET /v3/projects/{project_id}/users/{user_id}/roles.
func (s *Service) listGrants(r *http.Request, _ *claims) (int, any, error) {
	p, u, _, err := s.grantTarget(r, false)
	if err != nil {
		return 0, nil, err
	}
	names, err := s.st.RolesOf(r.Context(), u.ID, p.ID)
	if err != nil {
		return 0, nil, fmt.Errorf("roles of user: %w", err)
	}
	all, err := s.st.ListRoles(r.Context())
	if err != nil {
		return 0, nil, fmt.Errorf("list roles: %w", err)
	}
	out := []roleListItem{}
	for _, role := range all {
		if slices.Contains(names, role.Name) {
			out = append(out, s.roleItem(role))
		}
	}
	slices.SortFunc(out, func(a, b roleListItem) int { return cmp.Compare(a.Name, b.Name) })
	return http.StatusOK, map[string]any{
		"roles": out,
		"links": s.links("/v3/projects/" + p.ID + "/users/" + u.ID + "/roles"),
	}, nil
}
