package identity

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"

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
		Project *assignmentRef `json:"project,omitempty"`
		Domain  *assignmentRef `json:"domain,omitempty"`
	} `json:"scope"`
	Links map[string]string `json:"links"`
}

// ownAssignments lets a caller list its own role assignments.
func ownAssignments(r *http.Request, c *claims) bool {
	return r.URL.Query().Get("user.id") == c.UserID
}

// listAssignments is GET /v3/role_assignments with the user.id,
// scope.project.id, scope.domain.id, role.id and include_names filters.
// Direct and effective assignments are the same here (no groups, no
// inheritance); group, system and inherited filters match nothing.
func (s *Service) listAssignments(r *http.Request, _ *claims) (int, any, error) {
	q := r.URL.Query()
	_, names := q["include_names"]
	if v := q.Get("include_names"); v == "0" || v == "false" || v == "False" {
		names = false
	}
	out := []assignmentView{}
	body := func() map[string]any {
		return map[string]any{"role_assignments": out, "links": s.links("/v3/role_assignments")}
	}
	if q.Get("group.id") != "" || q.Has("scope.system") || q.Get("scope.OS-INHERIT:inherited_to") != "" ||
		(q.Get("scope.project.id") != "" && q.Get("scope.domain.id") != "") {
		return http.StatusOK, body(), nil
	}
	ctx := r.Context()
	held, err := s.st.ListAssignments(ctx, model.RoleAssignment{
		UserID: q.Get("user.id"), ProjectID: q.Get("scope.project.id"),
		DomainID: q.Get("scope.domain.id"), RoleID: q.Get("role.id"),
	})
	if err != nil {
		return 0, nil, fmt.Errorf("list role assignments: %w", err)
	}
	var lk *lookups
	if names {
		if lk, err = s.lookups(ctx); err != nil {
			return 0, nil, err
		}
	}
	for _, a := range held {
		out = append(out, s.assignment(a, lk))
	}
	slices.SortFunc(out, func(a, b assignmentView) int {
		return cmp.Or(cmp.Compare(scopeID(a), scopeID(b)),
			cmp.Compare(a.User.ID, b.User.ID), cmp.Compare(a.Role.ID, b.Role.ID))
	})
	return http.StatusOK, body(), nil
}

func scopeID(v assignmentView) string {
	if v.Scope.Project != nil {
		return "p" + v.Scope.Project.ID
	}
	return "d" + v.Scope.Domain.ID
}

// lookups names ids for ?include_names.
type lookups struct {
	roles    map[string]string
	users    map[string]*model.User
	projects map[string]*model.Project
	domains  map[string]string
}

func (s *Service) lookups(ctx context.Context) (*lookups, error) {
	lk := &lookups{roles: map[string]string{}, users: map[string]*model.User{},
		projects: map[string]*model.Project{}, domains: map[string]string{}}
	roles, err := s.st.ListRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	for _, r := range roles {
		lk.roles[r.ID] = r.Name
	}
	users, err := s.st.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	for _, u := range users {
		lk.users[u.ID] = u
	}
	projects, err := s.st.ListProjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	for _, p := range projects {
		lk.projects[p.ID] = p
	}
	domains, err := s.st.ListDomains(ctx)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	for _, d := range domains {
		lk.domains[d.ID] = d.Name
	}
	return lk, nil
}

func (s *Service) assignment(a model.RoleAssignment, lk *lookups) assignmentView {
	var v assignmentView
	v.Role = assignmentRef{ID: a.RoleID}
	v.User = assignmentRef{ID: a.UserID}
	link := s.cfg.PublicURL + "/v3/projects/" + a.ProjectID
	if a.ProjectID != "" {
		v.Scope.Project = &assignmentRef{ID: a.ProjectID}
	} else {
		v.Scope.Domain = &assignmentRef{ID: a.DomainID}
		link = s.cfg.PublicURL + "/v3/domains/" + a.DomainID
	}
	if lk != nil {
		dref := func(id string) *ref { return &ref{ID: id, Name: lk.domains[id]} }
		v.Role.Name = lk.roles[a.RoleID]
		if u := lk.users[a.UserID]; u != nil {
			v.User.Name, v.User.Domain = u.Name, dref(u.DomainID)
		}
		if p := lk.projects[a.ProjectID]; p != nil {
			v.Scope.Project.Name, v.Scope.Project.Domain = p.Name, dref(p.DomainID)
		}
		if v.Scope.Domain != nil {
			v.Scope.Domain.Name = lk.domains[a.DomainID]
		}
	}
	v.Links = map[string]string{"assignment": link + "/users/" + a.UserID + "/roles/" + a.RoleID}
	return v
}
