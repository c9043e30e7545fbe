package identity

import (
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
	roleIDs, err := s.roleIDs(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	_, nocatalog := r.URL.Query()["nocatalog"]
	s.log.InfoContext(r.Context(), "issued token", "user_id", out.user.ID,
		"project_id", out.claims.ProjectID, "audit_id", out.claims.auditIDs()[0])
	w.Header().Set("X-Subject-Token", out.token)
	writeJSON(w, http.StatusCreated, s.tokenBody(out.claims, out.user, out.project, roleIDs, !nocatalog))
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
	caller, err := s.ver.claims(r.Header.Get("X-Auth-Token"))
	if err != nil {
		s.unauthorized(w)
		return
	}
	subjectToken := r.Header.Get("X-Subject-Token")
	subject, err := s.ver.claims(subjectToken)
	if err != nil {
		writeError(w, http.StatusNotFound, "Could not find token.")
		return
	}
	if caller.UserID != subject.UserID && !hasRole(caller, RoleAdmin) && !hasRole(caller, "service") {
		writeError(w, http.StatusForbidden, "You are not authorized to perform the requested action.")
		return
	}
	u, p, err := s.subjectRecords(r, subject)
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
	roleIDs, err := s.roleIDs(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	_, nocatalog := r.URL.Query()["nocatalog"]
	writeJSON(w, http.StatusOK, s.tokenBody(subject, u, p, roleIDs, !nocatalog))
}

// subjectRecords loads the user and project a token names.
func (s *Service) subjectRecords(r *http.Request, c *claims) (*model.User, *model.Project, error) {
	u, err := s.st.GetUser(r.Context(), c.UserID, DefaultDomainID)
	if err != nil {
		return nil, nil, fmt.Errorf("get user: %w", err)
	}
	if u.ID != c.UserID {
		return nil, nil, fmt.Errorf("user of token: %w", errdefs.ErrNotFound)
	}
	if c.ProjectID == "" {
		return u, nil, nil
	}
	p, err := s.st.GetProject(r.Context(), c.ProjectID, DefaultDomainID)
	if err != nil {
		return nil, nil, fmt.Errorf("get project: %w", err)
	}
	if p.ID != c.ProjectID {
		return nil, nil, fmt.Errorf("project of token: %w", errdefs.ErrNotFound)
	}
	return u, p, nil
}

func (s *Service) roleIDs(r *http.Request) (map[string]string, error) {
	roles, err := s.st.ListRoles(r.Context())
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	m := make(map[string]string, len(roles))
	for _, role := range roles {
		m[role.Name] = role.ID
	}
	return m, nil
}

func (s *Service) handleCatalog(w http.ResponseWriter, _ *http.Request, c *claims) {
	writeJSON(w, http.StatusOK, map[string]any{"catalog": s.catalog(c.ProjectID), "links": s.links("/v3/auth/catalog")})
}

// clip bounds a caller-supplied string before it is logged.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
