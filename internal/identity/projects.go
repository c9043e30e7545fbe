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

const maxProjectName = 64

type projectListItem struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	DomainID    string            `json:"domain_id"`
	Description string            `json:"description"`
	Enabled     bool              `json:"enabled"`
	IsDomain    bool              `json:"is_domain"`
	ParentID    string            `json:"parent_id"`
	Tags        []string          `json:"tags"`
	Options     map[string]any    `json:"options"`
	Links       map[string]string `json:"links"`
}

func (s *Service) projectItem(p *model.Project) projectListItem {
	return projectListItem{
		ID: p.ID, Name: p.Name, DomainID: p.DomainID, Description: p.Description,
		Enabled: p.Enabled, ParentID: p.DomainID, Tags: []string{}, Options: map[string]any{},
		Links: map[string]string{"self": s.cfg.PublicURL + "/v3/projects/" + p.ID},
	}
}

func sortProjects(items []projectListItem) {
	slices.SortFunc(items, func(a, b projectListItem) int { return cmp.Compare(a.Name, b.Name) })
}

// projectByID returns the project whose id is id; the store also matches
// names, which an id lookup must not.
func (s *Service) projectByID(ctx context.Context, id string) (*model.Project, error) {
	p, err := s.st.GetProject(ctx, id, DefaultDomainID)
	switch {
	case err == nil && p.ID == id:
		return p, nil
	case err == nil || errors.Is(err, errdefs.ErrNotFound):
		return nil, notFound("project", id)
	default:
		return nil, fmt.Errorf("get project: %w", err)
	}
}

// projectsOf lists the projects user has a role on that pass f.
func (s *Service) projectsOf(ctx context.Context, userID string, f listFilter) ([]projectListItem, error) {
	all, err := s.st.ListProjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	out := []projectListItem{}
	for _, p := range all {
		if !f.match(p.Name, p.DomainID, p.Enabled) {
			continue
		}
		roles, err := s.st.RolesOf(ctx, userID, p.ID)
		if err != nil {
			return nil, fmt.Errorf("roles of user: %w", err)
		}
		if len(roles) > 0 {
			out = append(out, s.projectItem(p))
		}
	}
	sortProjects(out)
	return out, nil
}

// handleAuthProjects is GET /v3/auth/projects: the enabled projects the
// caller has a role on.
func (s *Service) handleAuthProjects(w http.ResponseWriter, r *http.Request, c *claims) {
	enabled := true
	out, err := s.projectsOf(r.Context(), c.UserID, listFilter{enabled: &enabled})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": out, "links": s.links("/v3/auth/projects")})
}

// listProjects is GET /v3/projects with the ?name=, ?domain_id= and
// ?enabled= filters.
func (s *Service) listProjects(r *http.Request, _ *claims) (int, any, error) {
	f, err := parseListFilter(r)
	if err != nil {
		return 0, nil, err
	}
	all, err := s.st.ListProjects(r.Context())
	if err != nil {
		return 0, nil, fmt.Errorf("list projects: %w", err)
	}
	out := []projectListItem{}
	for _, p := range all {
		if f.match(p.Name, p.DomainID, p.Enabled) {
			out = append(out, s.projectItem(p))
		}
	}
	sortProjects(out)
	return http.StatusOK, map[string]any{"projects": out, "links": s.links("/v3/projects")}, nil
}

// ownProject lets a caller read the project its token is scoped to.
func ownProject(r *http.Request, c *claims) bool {
	return c.ProjectID != "" && r.PathValue("project_id") == c.ProjectID
}

// showProject is GET /v3/projects/{project_id}.
func (s *Service) showProject(r *http.Request, _ *claims) (int, any, error) {
	p, err := s.projectByID(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"project": s.projectItem(p)}, nil
}

// listUserProjects is GET /v3/users/{user_id}/projects: the projects the
// user has a role on.
func (s *Service) listUserProjects(r *http.Request, _ *claims) (int, any, error) {
	f, err := parseListFilter(r)
	if err != nil {
		return 0, nil, err
	}
	u, err := s.userByID(r.Context(), r.PathValue("user_id"))
	if err != nil {
		return 0, nil, err
	}
	out, err := s.projectsOf(r.Context(), u.ID, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"projects": out, "links": s.links("/v3/users/" + u.ID + "/projects")}, nil
}

// projectCreate is the validated body of POST /v3/projects.
type projectCreate struct {
	name, description, domainID string
	enabled                     bool
}

func (s *Service) parseProjectCreate(r *http.Request) (*projectCreate, error) {
	o, err := decodeBody(r, "project")
	if err != nil {
		return nil, err
	}
	var pc projectCreate
	if pc.name, err = o.name(maxProjectName); err != nil {
		return nil, err
	}
	if pc.domainID, err = s.domainIDMember(r.Context(), o, "domain_id"); err != nil {
		return nil, err
	}
	if pc.description, _, err = o.str("description", false, true); err != nil {
		return nil, err
	}
	if pc.enabled, err = o.boolean("enabled", true); err != nil {
		return nil, err
	}
	isDomain, err := o.boolean("is_domain", false)
	if err != nil {
		return nil, err
	}
	if isDomain {
		return nil, invalid("project.is_domain", "projects acting as domains are not supported; create a domain instead.")
	}
	parent, _, err := o.str("parent_id", false, true)
	if err != nil {
		return nil, err
	}
	if parent != "" && parent != pc.domainID {
		return nil, invalid("project.parent_id", "project hierarchies are not supported; the parent must be the project's domain.")
	}
	if err := o.emptyOrAbsent("tags", "project tags are not supported."); err != nil {
		return nil, err
	}
	if err := o.emptyOrAbsent("options", "resource options are not supported."); err != nil {
		return nil, err
	}
	return &pc, nil
}

// createProject is POST /v3/projects.
func (s *Service) createProject(r *http.Request, c *claims) (int, any, error) {
	pc, err := s.parseProjectCreate(r)
	if err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	// A name equal to an existing id would make name lookups (the store
	// tries ids first) ambiguous, so it counts as taken too.
	switch _, err := s.st.GetProject(ctx, pc.name, pc.domainID); {
	case err == nil:
		return 0, nil, duplicate("project", pc.name, pc.domainID)
	case !errors.Is(err, errdefs.ErrNotFound):
		return 0, nil, fmt.Errorf("get project: %w", err)
	}
	p := &model.Project{
		ID: newID(), Name: pc.name, DomainID: pc.domainID, Description: pc.description,
		Enabled: pc.enabled, CreatedAt: s.now().UTC(),
	}
	if err := s.st.CreateProject(ctx, p); err != nil {
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, duplicate("project", pc.name, pc.domainID)
		}
		return 0, nil, fmt.Errorf("create project: %w", err)
	}
	s.log.InfoContext(ctx, "created project", "project_id", p.ID, "name", clip(p.Name), "by", c.UserID)
	return http.StatusCreated, map[string]any{"project": s.projectItem(p)}, nil
}

// updateProject is PATCH /v3/projects/{project_id}: name, description and
// enabled. Disabling revokes the tokens scoped to the project.
func (s *Service) updateProject(r *http.Request, c *claims) (int, any, error) {
	o, err := decodeBody(r, "project")
	if err != nil {
		return 0, nil, err
	}
	name, hasName := "", o.has("name")
	if hasName {
		if name, err = o.name(maxProjectName); err != nil {
			return 0, nil, err
		}
	}
	desc, hasDesc, err := o.str("description", false, true)
	if err != nil {
		return 0, nil, err
	}
	hasEnabled := o.has("enabled")
	enabled, err := o.boolean("enabled", true)
	if err != nil {
		return 0, nil, err
	}
	if d, ok, err := o.str("domain_id", false, true); err != nil {
		return 0, nil, err
	} else if ok && d != "" {
		return 0, nil, invalid("project.domain_id", "a project cannot move to another domain.")
	}
	ctx := r.Context()
	id := r.PathValue("project_id")
	cur, err := s.projectByID(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	if hasName && name != cur.Name {
		if other, err := s.st.GetProject(ctx, name, cur.DomainID); err == nil && other.ID != cur.ID {
			return 0, nil, duplicate("project", name, cur.DomainID)
		}
	}
	var wasEnabled bool
	p, err := s.st.UpdateProject(ctx, id, func(p *model.Project) error {
		wasEnabled = p.Enabled
		if hasName {
			p.Name = name
		}
		if hasDesc {
			p.Description = desc
		}
		if hasEnabled {
			p.Enabled = enabled
		}
		return nil
	})
	if err != nil {
		return 0, nil, s.storeError(err, "project", id, name, cur.DomainID)
	}
	if wasEnabled && !p.Enabled {
		if err := s.revokeAll(ctx, model.Revocation{ProjectID: p.ID}); err != nil {
			return 0, nil, err
		}
	}
	s.log.InfoContext(ctx, "updated project", "project_id", p.ID, "by", c.UserID)
	return http.StatusOK, map[string]any{"project": s.projectItem(p)}, nil
}

// deleteProject is DELETE /v3/projects/{project_id}: its role assignments
// go with it and its tokens are revoked.
func (s *Service) deleteProject(r *http.Request, c *claims) (int, any, error) {
	ctx := r.Context()
	id := r.PathValue("project_id")
	p, err := s.projectByID(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	if err := s.st.DeleteProject(ctx, p.ID); err != nil {
		return 0, nil, s.storeError(err, "project", id, "")
	}
	if err := s.revokeAll(ctx, model.Revocation{ProjectID: p.ID}); err != nil {
		return 0, nil, err
	}
	s.log.InfoContext(ctx, "deleted project", "project_id", p.ID, "name", clip(p.Name), "by", c.UserID)
	return http.StatusNoContent, nil, nil
}
