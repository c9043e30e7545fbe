package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

const maxAuthBody = 64 << 10

// The request of POST /v3/auth/tokens.
type authRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *userRef `json:"user"`
			} `json:"password"`
			Token *struct {
				ID string `json:"id"`
			} `json:"token"`
		} `json:"identity"`
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

type domainRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type userRef struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Domain   *domainRef `json:"domain"`
	Password string     `json:"password"`
}

type scopeRef struct {
	Project *struct {
		ID     string     `json:"id"`
		Name   string     `json:"name"`
		Domain *domainRef `json:"domain"`
	} `json:"project"`
	Domain *domainRef      `json:"domain"`
	System json.RawMessage `json:"system"`
	Trust  json.RawMessage `json:"OS-TRUST:trust"`
}

// authError is a failure of authentication: the caller sees only msg, the
// log gets reason.
type authError struct {
	status int
	msg    string
	reason string
}

func (e *authError) Error() string { return e.reason }

const msgAuthRequired = "The request you have made requires authentication."

func unauthorized(reason string) *authError {
	return &authError{status: http.StatusUnauthorized, msg: msgAuthRequired, reason: reason}
}

func badRequest(msg string) *authError {
	return &authError{status: http.StatusBadRequest, msg: msg, reason: msg}
}

// issued is the outcome of a successful authentication.
type issued struct {
	token   string
	claims  *claims
	user    *model.User
	project *model.Project
	domain  *model.Domain // of a domain-scoped token
}

// authenticate runs every method of req, resolves the scope and signs a
// token. Errors are *authError or store failures.
func (s *Service) authenticate(ctx context.Context, req *authRequest) (*issued, error) {
	// Issued is taken before any check, so a revocation event recorded
	// while this runs (a password change, a role removal) covers the token.
	issuedAt := s.now().UTC().Truncate(time.Microsecond)
	id := &req.Auth.Identity
	if len(id.Methods) == 0 {
		return nil, badRequest("Expecting to find methods in identity.")
	}
	// Each method runs once: a list repeating "password" must not buy
	// many bcrypt runs with one request.
	if len(id.Methods) > len(methodNames) || len(slices.Compact(slices.Sorted(slices.Values(id.Methods)))) != len(id.Methods) {
		return nil, badRequest("Invalid list of methods.")
	}
	var (
		user    *model.User
		methods byte
		capAt   time.Time // a re-scoped token never outlives its source
		parent  *[auditLen]byte
	)
	// Every listed method must succeed, for the same user.
	setUser := func(u *model.User) error {
		if user != nil && user.ID != u.ID {
			return unauthorized("methods authenticate different users")
		}
		user = u
		return nil
	}
	for _, m := range id.Methods {
		switch m {
		case "password":
			if id.Password == nil || id.Password.User == nil {
				return nil, badRequest("Expecting to find user in password.")
			}
			u, err := s.checkUser(ctx, id.Password.User)
			if err != nil {
				return nil, err
			}
			if err := setUser(u); err != nil {
				return nil, err
			}
			methods |= methodPassword
		case "token":
			if id.Token == nil || id.Token.ID == "" {
				return nil, badRequest("Expecting to find id in token.")
			}
			old, err := s.ver.claimsCtx(ctx, id.Token.ID)
			if err != nil {
				return nil, unauthorized("invalid token in token method")
			}
			u, err := s.enabledUser(ctx, old.UserID)
			if err != nil {
				return nil, err
			}
			if err := setUser(u); err != nil {
				return nil, err
			}
			// A re-scoped token never outlives the one it came from and
			// keeps its audit chain.
			methods |= old.Methods | methodToken
			capAt = old.Expires
			chain := old.AuditID
			if old.HasParent {
				chain = old.ParentID
			}
			parent = &chain
		default:
			return nil, unauthorized("unsupported method")
		}
	}
	sc, err := s.resolveScope(ctx, user, req.Auth.Scope)
	if err != nil {
		return nil, err
	}
	expires := issuedAt.Truncate(time.Second).Add(s.cfg.TokenTTL)
	if !capAt.IsZero() {
		expires = minTime(expires, capAt)
	}
	c := &claims{
		Methods:      methods,
		Issued:       issuedAt,
		Expires:      expires,
		UserID:       user.ID,
		UserDomainID: user.DomainID,
		Roles:        sc.roles,
	}
	if !c.Expires.After(s.now()) {
		return nil, unauthorized("token method with a token about to expire")
	}
	switch {
	case sc.project != nil:
		c.ProjectID, c.DomainID = sc.project.ID, sc.project.DomainID
	case sc.domain != nil:
		c.DomainID = sc.domain.ID
	}
	if parent != nil {
		c.HasParent, c.ParentID = true, *parent
	}
	if _, err := rand.Read(c.AuditID[:]); err != nil {
		return nil, fmt.Errorf("audit id: %w", err)
	}
	sg := s.currentSigner(ctx)
	tok, err := sign(sg.kid, sg.key, c)
	if err != nil {
		return nil, err
	}
	return &issued{token: tok, claims: c, user: user, project: sc.project, domain: sc.domain}, nil
}

// checkUser finds the user of a password method and checks its password.
// Unknown user, unknown or disabled domain, disabled user and wrong
// password are the same 401 and take the same time.
func (s *Service) checkUser(ctx context.Context, ref *userRef) (*model.User, error) {
	var (
		u      *model.User
		reason string
	)
	switch {
	case ref.ID != "":
		got, err := s.st.GetUser(ctx, ref.ID, "")
		switch {
		case err == nil && got.ID == ref.ID:
			u = got
		case err == nil || errors.Is(err, errdefs.ErrNotFound):
			reason = "unknown user"
		default:
			return nil, fmt.Errorf("get user: %w", err)
		}
	case ref.Name != "":
		if ref.Domain == nil {
			return nil, badRequest("Expecting to find domain in user.")
		}
		d, err := s.domainOfRef(ctx, ref.Domain)
		if err != nil {
			return nil, err
		}
		if d == nil {
			reason = "unknown domain"
			break
		}
		got, err := s.st.GetUser(ctx, ref.Name, d.ID)
		switch {
		case err == nil && got.Name == ref.Name && got.DomainID == d.ID:
			u = got
		case err == nil || errors.Is(err, errdefs.ErrNotFound):
			reason = "unknown user"
		default:
			return nil, fmt.Errorf("get user: %w", err)
		}
	default:
		return nil, badRequest("Expecting to find id or name in user.")
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	if err := s.acquireHash(ctx); err != nil {
		return nil, err
	}
	ok := checkPassword(hash, ref.Password)
	s.releaseHash()
	switch {
	case reason != "":
	case !ok:
		reason = "wrong password"
	case !u.Enabled:
		reason = "user disabled"
	default:
		if enabled, err := s.domainEnabled(ctx, u.DomainID); err != nil {
			return nil, err
		} else if !enabled {
			reason = "user's domain disabled"
		}
	}
	if reason != "" {
		return nil, unauthorized(reason)
	}
	return u, nil
}

// domainOfRef resolves a {"id"} or {"name"} domain reference; nil when
// there is no such domain.
func (s *Service) domainOfRef(ctx context.Context, ref *domainRef) (*model.Domain, error) {
	key := ref.ID
	if key == "" {
		key = ref.Name
	}
	if key == "" {
		return nil, badRequest("Expecting to find id or name in domain.")
	}
	d, err := s.st.GetDomain(ctx, key)
	switch {
	case err == nil && ((ref.ID != "" && d.ID == ref.ID) || (ref.ID == "" && d.Name == ref.Name)):
		return d, nil
	case err != nil && !errors.Is(err, errdefs.ErrNotFound):
		return nil, fmt.Errorf("get domain: %w", err)
	case ref.ID != "":
		return nil, nil
	}
	// Keystone compares domain names case-insensitively.
	all, err := s.st.ListDomains(ctx)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	for _, d := range all {
		if strings.EqualFold(d.Name, ref.Name) {
			return d, nil
		}
	}
	return nil, nil
}

// domainEnabled reports whether the domain id exists and is enabled.
func (s *Service) domainEnabled(ctx context.Context, id string) (bool, error) {
	d, err := s.st.GetDomain(ctx, id)
	switch {
	case err == nil:
		return d.ID == id && d.Enabled, nil
	case errors.Is(err, errdefs.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("get domain: %w", err)
	}
}

func (s *Service) acquireHash(ctx context.Context) error {
	select {
	case s.hashes <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for password check: %w", errors.Join(ctx.Err(), errdefs.ErrUnavailable))
	}
}

func (s *Service) releaseHash() { <-s.hashes }

// enabledUser returns the user of an existing token if it still exists and
// is enabled.
func (s *Service) enabledUser(ctx context.Context, id string) (*model.User, error) {
	u, err := s.st.GetUser(ctx, id, "")
	switch {
	case err == nil && u.ID == id && u.Enabled:
		if ok, err := s.domainEnabled(ctx, u.DomainID); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			return nil, unauthorized("token user's domain disabled")
		}
		return u, nil
	case err == nil || errors.Is(err, errdefs.ErrNotFound):
		return nil, unauthorized("token user gone or disabled")
	default:
		return nil, fmt.Errorf("get user: %w", err)
	}
}

// scope is a resolved scope: a project, a domain or neither (unscoped),
// and the user's roles on it.
type scope struct {
	project *model.Project
	domain  *model.Domain
	roles   []string
}

// resolveScope resolves the scope of an authentication request.
func (s *Service) resolveScope(ctx context.Context, u *model.User, raw json.RawMessage) (scope, error) {
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == `"unscoped"` {
		return scope{}, nil
	}
	if trimmed == "" || trimmed == "null" {
		// Keystone scopes to the default project when the user may.
		if u.DefaultProjectID == "" {
			return scope{}, nil
		}
		sc, err := s.projectRoles(ctx, u, u.DefaultProjectID, "")
		var ae *authError
		if errors.As(err, &ae) {
			return scope{}, nil
		}
		return sc, err
	}
	var ref scopeRef
	if err := json.Unmarshal(raw, &ref); err != nil {
		return scope{}, badRequest("Invalid scope.")
	}
	switch {
	case ref.Project != nil:
		if ref.Project.ID != "" {
			return s.projectRoles(ctx, u, ref.Project.ID, "")
		}
		if ref.Project.Name == "" {
			return scope{}, badRequest("Expecting to find id or name in project.")
		}
		if ref.Project.Domain == nil {
			return scope{}, badRequest("Expecting to find domain in project.")
		}
		d, err := s.domainOfRef(ctx, ref.Project.Domain)
		if err != nil {
			return scope{}, err
		}
		if d == nil {
			return scope{}, unauthorized("unknown project domain")
		}
		return s.projectRoles(ctx, u, ref.Project.Name, d.ID)
	case ref.Domain != nil:
		d, err := s.domainOfRef(ctx, ref.Domain)
		if err != nil {
			return scope{}, err
		}
		if d == nil || !d.Enabled {
			return scope{}, unauthorized("unknown or disabled domain")
		}
		roles, err := s.st.DomainRolesOf(ctx, u.ID, d.ID)
		if err != nil {
			return scope{}, fmt.Errorf("domain roles of user: %w", err)
		}
		if len(roles) == 0 {
			return scope{}, unauthorized("no role on domain")
		}
		return scope{domain: d, roles: sortedRoles(roles)}, nil
	case ref.System != nil, ref.Trust != nil:
		return scope{}, unauthorized("only project and domain scopes are supported")
	default:
		return scope{}, badRequest("Invalid scope.")
	}
}

// projectRoles finds an enabled project in an enabled domain by id
// (domainID "") or by name in domainID, and the user's roles on it; no
// project or no role is a 401.
func (s *Service) projectRoles(ctx context.Context, u *model.User, ref, domainID string) (scope, error) {
	p, err := s.st.GetProject(ctx, ref, domainID)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return scope{}, unauthorized("unknown project")
		}
		return scope{}, fmt.Errorf("get project: %w", err)
	}
	byID := domainID == ""
	if (byID && p.ID != ref) || (!byID && (p.Name != ref || p.DomainID != domainID)) || !p.Enabled {
		return scope{}, unauthorized("unknown or disabled project")
	}
	if ok, err := s.domainEnabled(ctx, p.DomainID); err != nil {
		return scope{}, err
	} else if !ok {
		return scope{}, unauthorized("project's domain disabled")
	}
	roles, err := s.st.RolesOf(ctx, u.ID, p.ID)
	if err != nil {
		return scope{}, fmt.Errorf("roles of user: %w", err)
	}
	if len(roles) == 0 {
		return scope{}, unauthorized("no role on project")
	}
	return scope{project: p, roles: sortedRoles(roles)}, nil
}

func sortedRoles(roles []string) []string {
	roles = slices.Clone(roles)
	slices.Sort(roles)
	return slices.Compact(roles)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func hasRole(c *claims, role string) bool { return slices.Contains(c.Roles, role) }
