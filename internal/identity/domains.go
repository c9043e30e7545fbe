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

const maxDomainName = 64

type domainItem struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Enabled     bool              `json:"enabled"`
	Tags        []string          `json:"tags"`
	Options     map[string]any    `json:"options"`
	Links       map[string]string `json:"links"`
}

func (s *Service) domainItem(d *model.Domain) domainItem {
	return domainItem{
		ID: d.ID, Name: d.Name, Description: d.Description, Enabled: d.Enabled,
		Tags: []string{}, Options: map[string]any{},
		Links: map[string]string{"self": s.cfg.PublicURL + "/v3/domains/" + d.ID},
	}
}

// seesDomain reports whether a caller may read domain id: admins all,
// others the domains their token names (its user's and its scope's).
func seesDomain(c *claims, id string) bool {
	return hasRole(c, RoleAdmin) || id == c.UserDomainID || id == c.DomainID
}

// domainByID returns the domain whose id is id (not name).
func (s *Service) domainByID(ctx context.Context, id string) (*model.Domain, error) {
	d, err := s.st.GetDomain(ctx, id)
	switch {
	case err == nil && d.ID == id:
		return d, nil
	case err == nil || errors.Is(err, errdefs.ErrNotFound):
		return nil, notFound("domain", id)
	default:
		return nil, fmt.Errorf("get domain: %w", err)
	}
}

// listDomains is GET /v3/domains with the ?name= and ?enabled= filters
// (the CLI finds a domain by name). Admins see every domain, others the
// domains their token names.
func (s *Service) listDomains(r *http.Request, c *claims) (int, any, error) {
	f, err := parseListFilter(r)
	if err != nil {
		return 0, nil, err
	}
	f.domain = nil // not a filter of domains
	all, err := s.st.ListDomains(r.Context())
	if err != nil {
		return 0, nil, fmt.Errorf("list domains: %w", err)
	}
	q := r.URL.Query()
	out := []domainItem{}
	for _, d := range all {
		if seesDomain(c, d.ID) && f.match(d.Name, "", d.Enabled) && (!q.Has("id") || q.Get("id") == d.ID) {
			out = append(out, s.domainItem(d))
		}
	}
	slices.SortFunc(out, func(a, b domainItem) int { return cmp.Compare(a.Name, b.Name) })
	return http.StatusOK, map[string]any{"domains": out, "links": s.links("/v3/domains")}, nil
}

// handleAuthDomains is GET /v3/auth/domains: the enabled domains the
// caller has a role on.
func (s *Service) handleAuthDomains(w http.ResponseWriter, r *http.Request, c *claims) {
	ctx := r.Context()
	as, err := s.st.ListAssignments(ctx, model.RoleAssignment{UserID: c.UserID})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := []domainItem{}
	seen := map[string]bool{}
	for _, a := range as {
		if a.DomainID == "" || seen[a.DomainID] {
			continue
		}
		seen[a.DomainID] = true
		d, err := s.st.GetDomain(ctx, a.DomainID)
		if err == nil && d.Enabled {
			out = append(out, s.domainItem(d))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"domains": out, "links": s.links("/v3/auth/domains")})
}

// showDomain is GET /v3/domains/{domain_id}; a domain the caller may
// not see is not found, so its existence is not revealed.
func (s *Service) showDomain(r *http.Request, c *claims) (int, any, error) {
	id := r.PathValue("domain_id")
	if !seesDomain(c, id) {
		return 0, nil, notFound("domain", id)
	}
	d, err := s.domainByID(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"domain": s.domainItem(d)}, nil
}

// createDomain is POST /v3/domains.
func (s *Service) createDomain(r *http.Request, c *claims) (int, any, error) {
	o, err := decodeBody(r, "domain")
	if err != nil {
		return 0, nil, err
	}
	d := &model.Domain{ID: newID(), CreatedAt: s.now().UTC()}
	if d.Name, err = o.name(maxDomainName); err != nil {
		return 0, nil, err
	}
	if d.Description, _, err = o.str("description", false, true); err != nil {
		return 0, nil, err
	}
	if d.Enabled, err = o.boolean("enabled", true); err != nil {
		return 0, nil, err
	}
	if explicit, ok, err := o.str("explicit_domain_id", false, true); err != nil {
		return 0, nil, err
	} else if ok && explicit != "" {
		if !isHexID(explicit) {
			return 0, nil, invalid("domain.explicit_domain_id", "must be 32 hexadecimal digits.")
		}
		d.ID = explicit
	}
	for _, m := range []string{"tags", "options"} {
		if err := o.emptyOrAbsent(m, "domain "+m+" are not supported."); err != nil {
			return 0, nil, err
		}
	}
	ctx := r.Context()
	if _, err := s.st.GetDomain(ctx, d.Name); err == nil {
		return 0, nil, duplicateDomain(d.Name)
	}
	if err := s.st.CreateDomain(ctx, d); err != nil {
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, duplicateDomain(d.Name)
		}
		return 0, nil, fmt.Errorf("create domain: %w", err)
	}
	s.log.InfoContext(ctx, "created domain", "domain_id", d.ID, "name", clip(d.Name), "by", c.UserID)
	return http.StatusCreated, map[string]any{"domain": s.domainItem(d)}, nil
}

func duplicateDomain(name string) *apiError {
	return newAPIError(errdefs.ErrAlreadyExists, fmt.Sprintf(
		"Conflict occurred attempting to store domain - Duplicate entry found with name %s.", clip(name)))
}

// updateDomain is PATCH /v3/domains/{domain_id}: name, description and
// enabled. Disabling revokes every token of the domain's users and
// projects and scoped to it.
func (s *Service) updateDomain(r *http.Request, c *claims) (int, any, error) {
	o, err := decodeBody(r, "domain")
	if err != nil {
		return 0, nil, err
	}
	name, hasName := "", o.has("name")
	if hasName {
		if name, err = o.name(maxDomainName); err != nil {
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
	id := r.PathValue("domain_id")
	if id == DefaultDomainID && hasEnabled && !enabled {
		return 0, nil, newAPIError(errdefs.ErrForbidden, "The default domain cannot be disabled.")
	}
	var wasEnabled bool
	d, err := s.st.UpdateDomain(r.Context(), id, func(d *model.Domain) error {
		wasEnabled = d.Enabled
		if hasName {
			d.Name = name
		}
		if hasDesc {
			d.Description = desc
		}
		if hasEnabled {
			d.Enabled = enabled
		}
		return nil
	})
	if err != nil {
		return 0, nil, s.storeError(err, "domain", id, name)
	}
	if wasEnabled && !d.Enabled {
		if err := s.revokeAll(r.Context(), model.Revocation{DomainID: d.ID}); err != nil {
			return 0, nil, err
		}
	}
	s.log.InfoContext(r.Context(), "updated domain", "domain_id", d.ID, "by", c.UserID)
	return http.StatusOK, map[string]any{"domain": s.domainItem(d)}, nil
}

// deleteDomain is DELETE /v3/domains/{domain_id}. As in Keystone the
// domain must be disabled first; unlike Keystone it must also be empty
// (its projects and users deleted), so nothing is removed by surprise.
func (s *Service) deleteDomain(r *http.Request, c *claims) (int, any, error) {
	ctx := r.Context()
	d, err := s.domainByID(ctx, r.PathValue("domain_id"))
	if err != nil {
		return 0, nil, err
	}
	if d.ID == DefaultDomainID {
		return 0, nil, newAPIError(errdefs.ErrForbidden, "The default domain cannot be deleted.")
	}
	if d.Enabled {
		return 0, nil, newAPIError(errdefs.ErrForbidden, "Cannot delete a domain that is enabled, please disable it first.")
	}
	if err := s.st.DeleteDomain(ctx, d.ID); err != nil {
		if errors.Is(err, errdefs.ErrConflict) {
			return 0, nil, newAPIError(errdefs.ErrConflict, "Cannot delete domain "+d.ID+": it still owns projects or users.")
		}
		return 0, nil, s.storeError(err, "domain", d.ID, "")
	}
	if err := s.revokeAll(ctx, model.Revocation{DomainID: d.ID}); err != nil {
		return 0, nil, err
	}
	s.log.InfoContext(ctx, "deleted domain", "domain_id", d.ID, "by", c.UserID)
	return http.StatusNoContent, nil, nil
}

// storeError maps a store failure of an update or delete of kind.
func (s *Service) storeError(err error, kind, id, name string, domainID ...string) error {
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		return notFound(kind, id)
	case errors.Is(err, errdefs.ErrAlreadyExists):
		if kind == "domain" {
			return duplicateDomain(name)
		}
		return duplicate(kind, name, append(domainID, DefaultDomainID)[0])
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("%s %s: %w", kind, id, err)
}

func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
