package identity

import (
	"net/http"
)

// domainItem renders the one domain, "default", that every project and
// user belongs to; it has no record of its own.
func (s *Service) domainItem() map[string]any {
	return map[string]any{
		"id":          DefaultDomainID,
		"name":        DefaultDomainName,
		"description": "The default domain.",
		"enabled":     true,
		"tags":        []string{},
		"options":     map[string]any{},
		"links":       map[string]string{"self": s.cfg.PublicURL + "/v3/domains/" + DefaultDomainID},
	}
}

// anyUser lets every authenticated caller through. Used for the default
// domain, which every token's project belongs to: Keystone lets a token
// read the domain of its project.
func anyUser(*http.Request, *claims) bool { return true }

// listDomains is GET /v3/domains with the ?name=, ?id= and ?enabled=
// filters (the CLI finds a domain by name).
func (s *Service) listDomains(r *http.Request, _ *claims) (int, any, error) {
	f, err := parseListFilter(r)
	if err != nil {
		return 0, nil, err
	}
	f.domain = nil // not a filter of domains
	q := r.URL.Query()
	out := []map[string]any{}
	if f.match(DefaultDomainName, true) && (!q.Has("id") || q.Get("id") == DefaultDomainID) {
		out = append(out, s.domainItem())
	}
	return http.StatusOK, map[string]any{"domains": out, "links": s.links("/v3/domains")}, nil
}

// showDomain is GET /v3/domains/{domain_id}.
func (s *Service) showDomain(r *http.Request, _ *claims) (int, any, error) {
	if id := r.PathValue("domain_id"); id != DefaultDomainID {
		return 0, nil, notFound("domain", id)
	}
	return http.StatusOK, map[string]any{"domain": s.domainItem()}, nil
}
