package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// assignmentRef names a user, project or role in a role assignment; name
// and domain only with ?include_names.
type assignmentRef struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Domain *ref   `json:"domain,omitempty"`
}

type assignmentView struct {
	Role  assignmentRef `json:"role"`
	User  assignmentRef `json:"user"`
	Scope struct {
		Project assignmentRef `json:"project"`
	} `json:"scope"`
	Links map[string]string `json:"links"`
}

// ownAssignments lets a caller list its own role assignments.
func ownAssignments(r *http.Request, c *claims) bool {
	return r.URL.Query().Get("user.id") == c.UserID
}

// assignmentQuery is the filters of GET /v3/role_assignments.
type assignmentQuery struct {
	userID, projectID, roleID string
	names                     bool
	// none is set by filters no assignment here can pass: groups, domain
	// and system scopes and inheritance do not exist in this service.
	none bool
}

func parseAssignmentQuery(q url.Values) assignmentQuery {
	_, names := q["include_names"]
	if v := q.Get("include_names"); v == "0" || v == "false" || v == "False" {
		names = false
	}
	return assignmentQuery{
		userID:    q.Get("user.id"),
		projectID: q.Get("scope.project.id"),
		roleID:    q.Get("role.id"),
		names:     names,
		none: q.Get("group.id") != "" || q.Get("scope.domain.id") != "" || q.Has("scope.system") ||
			q.Get("scope.OS-INHERIT:inherited_to") != "",
	}
}

// listAssignments is GET /v3/role_assignments with the user.id,
// scope.project.id, role.id and include_names filters. Direct and
// effective assignments are the same here (no groups, no inheritance).
func (s *Service) listAssignments(r *http.Request, _ *claims) (int, any, error) {
	q := parseAssignmentQuery(r.URL.Query())
	out := []assignmentView{}
	body := func() map[string]any {
		return map[string]any{"role_assignments": out, "links": s.links("/v3/role_assignments")}
	}
	if q.none {
		return http.StatusOK, body(), nil
	}
	ctx := r.Context()
	users, err := s.assignmentUsers(ctx, q.userID)
	if err != nil {
		return 0, nil, err
	}
	projects, err := s.assignmentProjects(ctx, q.projectID)
	if err != nil {
		return 0, nil, err
	}
	roles, err := s.st.ListRoles(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("list roles: %w", err)
	}
	byName := make(map[string]*model.Role, len(roles))
	for _, role := range roles {
		byName[role.Name] = role
	}
	for _, p := range projects {
		for _, u := range users {
			names, err := s.st.RolesOf(ctx, u.ID, p.ID)
			if err != nil {
				return 0, nil, fmt.Errorf("roles of user: %w", err)
			}
			for _, name := range names {
				role, ok := byName[name]
				if !ok || (q.roleID != "" && role.ID != q.roleID) {
					continue
				}
				out = append(out, s.assignment(p, u, role, q.names))
			}
		}
	}
	slices.SortFunc(out, func(a, b assignmentView) int {
		return cmp.Or(cmp.Compare(a.Scope.Project.ID, b.Scope.Project.ID),
			cmp.Compare(a.User.ID, b.User.ID), cmp.Compare(a.Role.ID, b.Role.ID))
	})
	return http.StatusOK, body(), nil
}

func (s *Service) assignment(p *model.Project, u *model.User, role *model.Role, names bool) assignmentView {
	var v assignmentView
	v.Role = assignmentRef{ID: role.ID}
	v.User = assignmentRef{ID: u.ID}
	v.Scope.Project = assignmentRef{ID: p.ID}
	if names {
		d := defaultDomain
		v.Role.Name = role.Name
		v.User.Name, v.User.Domain = u.Name, &d
		v.Scope.Project.Name, v.Scope.Project.Domain = p.Name, &d
	}
	v.Links = map[string]string{"assignment": s.cfg.PublicURL + "/v3/projects/" + p.ID +
		"/users/" + u.ID + "/roles/" + role.ID}
	return v
}

// assignmentUsers is every user, or the one user id names (none if it
// does not exist, as Keystone filters rather than fails).
func (s *Service) assignmentUsers(ctx context.Context, id string) ([]*model.User, error) {
	if id == "" {
		all, err := s.st.ListUsers(ctx)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		return all, nil
	}
	u, err := s.userByID(ctx, id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*model.User{u}, nil
}

// assignmentProjects is assignmentUsers for projects.
func (s *Service) assignmentProjects(ctx context.Context, id string) ([]*model.Project, error) {
	if id == "" {
		all, err := s.st.ListProjects(ctx)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		return all, nil
	}
	p, err := s.projectByID(ctx, id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*model.Project{p}, nil
}
