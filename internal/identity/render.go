package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/openzun/zun/internal/model"
)

// Keystone's timestamp format.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Title   string `json:"title"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers in Keystone's format
// {"error":{"code":401,"title":"Unauthorized","message":"..."}}.
func writeError(w http.ResponseWriter, status int, msg string) {
	var b errorBody
	b.Error.Code = status
	b.Error.Title = http.StatusText(status)
	b.Error.Message = msg
	writeJSON(w, status, b)
}

func (s *Service) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.cfg.PublicURL+`"`)
	writeError(w, http.StatusUnauthorized, msgAuthRequired)
}

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

var defaultDomain = ref{ID: DefaultDomainID, Name: DefaultDomainName}

type userView struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Domain            ref     `json:"domain"`
	PasswordExpiresAt *string `json:"password_expires_at"`
}

type projectView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain ref    `json:"domain"`
}

type endpointView struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

type serviceView struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Name      string         `json:"name"`
	Endpoints []endpointView `json:"endpoints"`
}

type tokenView struct {
	Methods   []string      `json:"methods"`
	User      userView      `json:"user"`
	Project   *projectView  `json:"project,omitempty"`
	Domain    *ref          `json:"domain,omitempty"`
	IsDomain  *bool         `json:"is_domain,omitempty"`
	Roles     []ref         `json:"roles,omitempty"`
	Catalog   []serviceView `json:"catalog,omitempty"`
	ExpiresAt string        `json:"expires_at"`
	IssuedAt  string        `json:"issued_at"`
	AuditIDs  []string      `json:"audit_ids"`
}

// tokenBody renders c; roleIDs maps role names to ids, domains domain ids
// to names. Unscoped tokens carry no roles and no catalog.
func (s *Service) tokenBody(c *claims, u *model.User, p *model.Project, d *model.Domain, roleIDs, domains map[string]string, withCatalog bool) map[string]tokenView {
	dref := func(id string) ref { return ref{ID: id, Name: domains[id]} }
	v := tokenView{
		Methods:   c.methodList(),
		User:      userView{ID: u.ID, Name: u.Name, Domain: dref(u.DomainID)},
		ExpiresAt: formatTime(c.Expires),
		IssuedAt:  formatTime(c.Issued),
		AuditIDs:  c.auditIDs(),
	}
	if p == nil && d == nil {
		return map[string]tokenView{"token": v}
	}
	if p != nil {
		no := false
		v.Project = &projectView{ID: p.ID, Name: p.Name, Domain: dref(p.DomainID)}
		v.IsDomain = &no
	} else {
		dr := ref{ID: d.ID, Name: d.Name}
		v.Domain = &dr
	}
	v.Roles = make([]ref, 0, len(c.Roles))
	for _, name := range c.Roles {
		v.Roles = append(v.Roles, ref{ID: roleIDs[name], Name: name})
	}
	if withCatalog {
		v.Catalog = s.catalog(c.ProjectID)
	}
	return map[string]tokenView{"token": v}
}

// catalog renders the configured services, each with a public, internal
// and admin endpoint. Ids are derived from the entries, so they are stable
// across restarts. "$(project_id)s" and "%(project_id)s" in a URL become
// the token's project, as Keystone substitutes them (the volume service's
// URLs carry the project).
func (s *Service) catalog(projectID string) []serviceView {
	sub := strings.NewReplacer("$(project_id)s", projectID, "%(project_id)s", projectID, "$(tenant_id)s", projectID, "%(tenant_id)s", projectID)
	s.catalogMu.RLock()
	defer s.catalogMu.RUnlock()
	out := make([]serviceView, 0, len(s.services))
	for _, e := range s.services {
		sv := serviceView{ID: stableID("service", e.Type, e.Name), Type: e.Type, Name: e.Name}
		for _, iface := range []string{"public", "internal", "admin"} {
			sv.Endpoints = append(sv.Endpoints, endpointView{
				ID:        stableID("endpoint", e.Type, e.Name, iface),
				Interface: iface,
				Region:    s.cfg.Region,
				RegionID:  s.cfg.Region,
				URL:       sub.Replace(e.URL),
			})
		}
		out = append(out, sv)
	}
	return out
}

func stableID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func (s *Service) links(path string) map[string]*string {
	self := s.cfg.PublicURL + path
	return map[string]*string{"self": &self, "previous": nil, "next": nil}
}
