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

// grantTarget resolves the {project_id} or {domain_id}, {user_id} and,
// when withRole, {role_id} of a role assignment path; each must exist.
// The assignment returned has the target set (and the role when withRole).
func (s *Service) grantTarget(r *http.Request, withRole bool) (model.RoleAssignment, *model.Role, error) {
	ctx := r.Context()
	var a model.RoleAssignment
	if id := r.PathValue("project_id"); id != "" {
		p, err := s.projectByID(ctx, id)
		if err != nil {
			return a, nil, err
		}
		a.ProjectID = p.ID
	} else {
		d, err := s.domainByID(ctx, r.PathValue("domain_id"))
		if err != nil {
			return a, nil, err
		}
		a.DomainID = d.ID
	}
	u, err := s.userByID(ctx, r.PathValue("user_id"))
	if err != nil {
		return a, nil, err
	}
	a.UserID = u.ID
	if !withRole {
		return a, nil, nil
	}
	role, err := s.roleByID(ctx, r.PathValue("role_id"))
	if err != nil {
		return a, nil, err
	}
	a.RoleID = role.ID
	return a, role, nil
}

func targetOf(a model.RoleAssignment) string { return a.ProjectID + a.DomainID }

// grantRole is PUT /v3/{projects,domains}/{id}/users/{user_id}/roles/{role_id};
// granting an existing assignment again succeeds.
func (s *Service) grantRole(r *http.Request, c *claims) (int, any, error) {
	a, role, err := s.grantTarget(r, true)
	if err != nil {
		return 0, nil, err
	}
	if err := s.st.Assign(r.Context(), a); err != nil {
		return 0, nil, fmt.Errorf("assign role: %w", err)
	}
	s.log.InfoContext(r.Context(), "granted role", "role", role.Name, "user_id", a.UserID,
		"project_id", a.ProjectID, "domain_id", a.DomainID, "by", c.UserID)
	return http.StatusNoContent, nil, nil
}

// revokeRole is DELETE of a grant ("openstack role remove"): the user's
// tokens on that project or domain are revoked.
func (s *Service) revokeRole(r *http.Request, c *claims) (int, any, error) {
	a, role, err := s.grantTarget(r, true)
	if err != nil {
		return 0, nil, err
	}
	if err := s.st.Unassign(r.Context(), a); err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return 0, nil, noAssignment(a)
		}
		return 0, nil, fmt.Errorf("unassign role: %w", err)
	}
	if err := s.revokeAll(r.Context(), model.Revocation{UserID: a.UserID, ProjectID: a.ProjectID, DomainID: a.DomainID}); err != nil {
		return 0, nil, err
	}
	s.log.InfoContext(r.Context(), "revoked role", "role", role.Name, "user_id", a.UserID,
		"project_id", a.ProjectID, "domain_id", a.DomainID, "by", c.UserID)
	return http.StatusNoContent, nil, nil
}

func noAssignment(a model.RoleAssignment) *apiError {
	return newAPIError(errdefs.ErrNotFound, fmt.Sprintf(
		"Could not find role assignment with role: %s, user or group: %s, project, domain, or system: %s.",
		a.RoleID, a.UserID, targetOf(a)))
}

// checkRole is HEAD and GET of a grant: 204 if the user holds the role on
// the project or domain, else 404.
func (s *Service) checkRole(r *http.Request, _ *claims) (int, any, error) {
	a, _, err := s.grantTarget(r, true)
	if err != nil {
		return 0, nil, err
	}
	held, err := s.st.ListAssignments(r.Context(), a)
	if err != nil {
		return 0, nil, fmt.Errorf("list role assignments: %w", err)
	}
	if len(held) == 0 {
		return 0, nil, noAssignment(a)
	}
	return http.StatusNoContent, nil, nil
}

// listGrants is GET /v3/{projects,domains}/{id}/users/{user_id}/roles.
func (s *Service) listGrants(r *http.Request, _ *claims) (int, any, error) {
	a, _, err := s.grantTarget(r, false)
	if err != nil {
		return 0, nil, err
	}
	held, err := s.st.ListAssignments(r.Context(), a)
	if err != nil {
		return 0, nil, fmt.Errorf("list role assignments: %w", err)
	}
	out := []roleListItem{}
	for _, h := range held {
		role, err := s.roleByID(r.Context(), h.RoleID)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, s.roleItem(role))
	}
	slices.SortFunc(out, func(a, b roleListItem) int { return cmp.Compare(a.Name, b.Name) })
	kind := "/v3/projects/"
	if a.DomainID != "" {
		kind = "/v3/domains/"
	}
	return http.StatusOK, map[string]any{
		"roles": out,
		"links": s.links(kind + targetOf(a) + "/users/" + a.UserID + "/roles"),
	}, nil
}

const maxRoleName = 255

// createRole is POST /v3/roles ("openstack role create").
func (s *Service) createRole(r *http.Request, c *claims) (int, any, error) {
	o, err := decodeBody(r, "role")
	if err != nil {
		return 0, nil, err
	}
	name, err := o.name(maxRoleName)
	if err != nil {
		return 0, nil, err
	}
	if d, ok, err := o.str("domain_id", false, true); err != nil {
		return 0, nil, err
	} else if ok && d != "" {
		return 0, nil, invalid("role.domain_id", "domain-specific roles are not supported.")
	}
	for _, m := range []string{"options", "description"} {
		if err := o.emptyOrAbsent(m, "role "+m+" are not stored by this identity service."); err != nil {
			return 0, nil, err
		}
	}
	ctx := r.Context()
	if _, err := s.st.GetRole(ctx, name); err == nil {
		return 0, nil, duplicateRole(name)
	}
	role := &model.Role{ID: newID(), Name: name}
	if err := s.st.CreateRole(ctx, role); err != nil {
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, duplicateRole(name)
		}
		return 0, nil, fmt.Errorf("create role: %w", err)
	}
	s.log.InfoContext(ctx, "created role", "role_id", role.ID, "name", clip(name), "by", c.UserID)
	return http.StatusCreated, map[string]any{"role": s.roleItem(role)}, nil
}

func duplicateRole(name string) *apiError {
	return newAPIError(errdefs.ErrAlreadyExists, fmt.Sprintf(
		"Conflict occurred attempting to store role - Duplicate entry found with name %s.", clip(name)))
}

// deleteRole is DELETE /v3/roles/{role_id}: its assignments go with it
// and the tokens of its holders on those targets are revoked. The default
// roles cannot be deleted: policies name them.
func (s *Service) deleteRole(r *http.Request, c *claims) (int, any, error) {
	ctx := r.Context()
	role, err := s.roleByID(ctx, r.PathValue("role_id"))
	if err != nil {
		return 0, nil, err
	}
	if role.Name == RoleAdmin || role.Name == RoleMember || role.Name == RoleReader {
		return 0, nil, newAPIError(errdefs.ErrForbidden, "The default role "+role.Name+" cannot be deleted.")
	}
	held, err := s.st.ListAssignments(ctx, model.RoleAssignment{RoleID: role.ID})
	if err != nil {
		return 0, nil, fmt.Errorf("list role assignments: %w", err)
	}
	if err := s.st.DeleteRole(ctx, role.ID); err != nil {
		return 0, nil, s.storeError(err, "role", role.ID, "")
	}
	events := make([]model.Revocation, 0, len(held))
	for _, h := range held {
		events = append(events, model.Revocation{UserID: h.UserID, ProjectID: h.ProjectID, DomainID: h.DomainID})
	}
	if err := s.revokeAll(ctx, events...); err != nil {
		return 0, nil, err
	}
	s.log.InfoContext(ctx, "deleted role", "role_id", role.ID, "name", clip(role.Name), "by", c.UserID)
	return http.StatusNoContent, nil, nil
}
