package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

type versionView struct {
	ID         string              `json:"id"`
	Status     string              `json:"status"`
	Updated    string              `json:"updated"`
	Links      []map[string]string `json:"links"`
	MediaTypes []map[string]string `json:"media-types"`
}

func (s *Service) version() versionView {
	return versionView{
		ID:      "v3.14",
		Status:  "stable",
		Updated: "2020-04-07T00:00:00Z",
		Links:   []map[string]string{{"rel": "self", "href": s.cfg.PublicURL + "/v3/"}},
		MediaTypes: []map[string]string{{
			"base": "application/json",
			"type": "application/vnd.openstack.identity-v3+json",
		}},
	}
}

// handleVersions answers like Keystone: 300 Multiple Choices.
func (s *Service) handleVersions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusMultipleChoices, map[string]any{
		"versions": map[string]any{"values": []versionView{s.version()}},
	})
}

func (s *Service) handleVersion(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": s.version()})
}

// handleIssue is POST /v3/auth/tokens.
func (s *Service) handleIssue(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAuthBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return
	}
	out, err := s.authenticate(r.Context(), &req)
	if err != nil {
		s.authFailed(w, r, &req, err)
		return
	}
	roleIDs, domains, err := s.names(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	_, nocatalog := r.URL.Query()["nocatalog"]
	s.log.InfoContext(r.Context(), "issued token", "user_id", out.user.ID,
		"project_id", out.claims.ProjectID, "domain_id", out.claims.DomainID, "audit_id", out.claims.auditIDs()[0])
	w.Header().Set("X-Subject-Token", out.token)
	writeJSON(w, http.StatusCreated, s.tokenBody(out.claims, out.user, out.project, out.domain, roleIDs, domains, !nocatalog))
}

func (s *Service) authFailed(w http.ResponseWriter, r *http.Request, req *authRequest, err error) {
	var ae *authError
	if !errors.As(err, &ae) {
		s.internal(w, r, err)
		return
	}
	attrs := []any{"reason", ae.reason, "remote", r.RemoteAddr}
	if p := req.Auth.Identity.Password; p != nil && p.User != nil {
		attrs = append(attrs, "user", clip(p.User.Name+p.User.ID))
	}
	s.log.InfoContext(r.Context(), "authentication failed", attrs...)
	if ae.status == http.StatusUnauthorized {
		s.unauthorized(w)
		return
	}
	writeError(w, ae.status, ae.msg)
}

func (s *Service) internal(w http.ResponseWriter, r *http.Request, err error) {
	status := errdefs.HTTPStatus(err)
	if status < 500 {
		status = http.StatusInternalServerError
	}
	s.log.ErrorContext(r.Context(), "identity request failed", "path", r.URL.Path, "err", err)
	writeError(w, status, "An unexpected error prevented the server from fulfilling your request.")
}

// handleCheck is GET and HEAD /v3/auth/tokens: the caller (X-Auth-Token)
// validates X-Subject-Token. Admins and service users may validate any
// token, others only their own.
func (s *Service) handleCheck(w http.ResponseWriter, r *http.Request) {
	caller, err := s.ver.claimsCtx(r.Context(), r.Header.Get("X-Auth-Token"))
	if err != nil {
		s.unauthorized(w)
		return
	}
	subjectToken := r.Header.Get("X-Subject-Token")
	subject, err := s.ver.claimsCtx(r.Context(), subjectToken)
	if err != nil {
		writeError(w, http.StatusNotFound, "Could not find token.")
		return
	}
	if caller.UserID != subject.UserID && !hasRole(caller, RoleAdmin) && !hasRole(caller, "service") {
		writeError(w, http.StatusForbidden, "You are not authorized to perform the requested action.")
		return
	}
	u, p, d, err := s.subjectRecords(r, subject)
	if errors.Is(err, errdefs.ErrNotFound) {
		writeError(w, http.StatusNotFound, "Could not find token.")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("X-Subject-Token", subjectToken)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	roleIDs, domains, err := s.names(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	_, nocatalog := r.URL.Query()["nocatalog"]
	writeJSON(w, http.StatusOK, s.tokenBody(subject, u, p, d, roleIDs, domains, !nocatalog))
}

// handleRevoke is DELETE /v3/auth/tokens: the caller (X-Auth-Token)
// revokes X-Subject-Token, its own or, as admin, anyone's. The revocation
// is persisted for every verifier and applied here at once.
func (s *Service) handleRevoke(w http.ResponseWriter, r *http.Request) {
	caller, err := s.ver.claimsCtx(r.Context(), r.Header.Get("X-Auth-Token"))
	if err != nil {
		s.unauthorized(w)
		return
	}
	subject, err := s.ver.claimsCtx(r.Context(), r.Header.Get("X-Subject-Token"))
	if err != nil {
		writeError(w, http.StatusNotFound, "Could not find token.")
		return
	}
	if caller.UserID != subject.UserID && !hasRole(caller, RoleAdmin) {
		writeError(w, http.StatusForbidden, msgForbidden)
		return
	}
	audit := subject.auditIDs()[0]
	if err := s.revoke(r.Context(), model.Revocation{AuditID: audit}, subject.Expires); err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "revoked token", "audit_id", audit, "user_id", subject.UserID, "by", caller.UserID)
	w.WriteHeader(http.StatusNoContent)
}

// subjectRecords loads the user and the project or domain a token names.
func (s *Service) subjectRecords(r *http.Request, c *claims) (*model.User, *model.Project, *model.Domain, error) {
	u, err := s.st.GetUser(r.Context(), c.UserID, "")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("get user: %w", err)
	}
	if u.ID != c.UserID {
		return nil, nil, nil, fmt.Errorf("user of token: %w", errdefs.ErrNotFound)
	}
	switch {
	case c.ProjectID != "":
		p, err := s.st.GetProject(r.Context(), c.ProjectID, "")
		if err != nil {
			return nil, nil, nil, fmt.Errorf("get project: %w", err)
		}
		if p.ID != c.ProjectID {
			return nil, nil, nil, fmt.Errorf("project of token: %w", errdefs.ErrNotFound)
		}
		return u, p, nil, nil
	case c.DomainID != "":
		d, err := s.st.GetDomain(r.Context(), c.DomainID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("get domain: %w", err)
		}
		if d.ID != c.DomainID {
			return nil, nil, nil, fmt.Errorf("domain of token: %w", errdefs.ErrNotFound)
		}
		return u, nil, d, nil
	}
	return u, nil, nil, nil
}

// names maps role names to ids and domain ids to names, for rendering.
func (s *Service) names(ctx context.Context) (roleIDs, domains map[string]string, err error) {
	roles, err := s.st.ListRoles(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list roles: %w", err)
	}
	roleIDs = make(map[string]string, len(roles))
	for _, role := range roles {
		roleIDs[role.Name] = role.ID
	}
	ds, err := s.st.ListDomains(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list domains: %w", err)
	}
	domains = make(map[string]string, len(ds))
	for _, d := range ds {
		domains[d.ID] = d.Name
	}
	return roleIDs, domains, nil
}

// handleCatalog is GET /v3/auth/catalog; an unscoped token has none.
func (s *Service) handleCatalog(w http.ResponseWriter, _ *http.Request, c *claims) {
	catalog := []serviceView{}
	if c.ProjectID != "" || c.DomainID != "" {
		catalog = s.catalog(c.ProjectID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"catalog": catalog, "links": s.links("/v3/auth/catalog")})
}

// clip bounds a caller-supplied string before it is logged.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
