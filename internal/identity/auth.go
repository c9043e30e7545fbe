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
}

// authenticate runs every method of req, resolves the scope and signs a
// token. Errors are *authError or store failures.
func (s *Service) authenticate(ctx context.Context, req *authRequest) (*issued, error) {
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
			old, err := s.ver.claims(id.Token.ID)
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
	project, roles, err := s.resolveScope(ctx, user, req.Auth.Scope)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	expires := now.Add(s.cfg.TokenTTL)
	if !capAt.IsZero() {
		expires = minTime(expires, capAt)
	}
	c := &claims{
		Methods: methods,
		Issued:  now,
		Expires: expires,
		UserID:  user.ID,
		Roles:   roles,
	}
	if !c.Expires.After(now) {
		return nil, unauthorized("token method with a token about to expire")
	}
	if project != nil {
		c.ProjectID = project.ID
	}
	if parent != nil {
		c.HasParent, c.ParentID = true, *parent
	}
	if _, err := rand.Read(c.AuditID[:]); err != nil {
		return nil, fmt.Errorf("audit id: %w", err)
	}
	tok, err := sign(s.key, c)
	if err != nil {
		return nil, err
	}
	return &issued{token: tok, claims: c, user: user, project: project}, nil
}

// checkUser finds the user of a password method and checks its password.
// Unknown user, unknown domain, disabled user and wrong password are the
// same 401 and take the same time.
func (s *Service) checkUser(ctx context.Context, ref *userRef) (*model.User, error) {
	var (
		u      *model.User
		reason string
	)
	switch {
	case ref.ID != "":
		got, err := s.st.GetUser(ctx, ref.ID, DefaultDomainID)
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
		if !isDefaultDomain(ref.Domain) {
			reason = "unknown domain"
			break
		}
		got, err := s.st.GetUser(ctx, ref.Name, DefaultDomainID)
		switch {
		case err == nil && got.Name == ref.Name:
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
	}
	if reason != "" {
		return nil, unauthorized(reason)
	}
	return u, nil
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
	u, err := s.st.GetUser(ctx, id, DefaultDomainID)
	switch {
	case err == nil && u.ID == id && u.Enabled:
		return u, nil
	case err == nil || errors.Is(err, errdefs.ErrNotFound):
		return nil, unauthorized("token user gone or disabled")
	default:
		return nil, fmt.Errorf("get user: %w", err)
	}
}

// resolveScope returns the project (nil for unscoped) and the user's role
// names on it.
func (s *Service) resolveScope(ctx context.Context, u *model.User, raw json.RawMessage) (*model.Project, []string, error) {
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == `"unscoped"` {
		return nil, nil, nil
	}
	if trimmed == "" || trimmed == "null" {
		// Keystone scopes to the default project when the user may.
		if u.DefaultProjectID == "" {
			return nil, nil, nil
		}
		p, roles, err := s.projectRoles(ctx, u, u.DefaultProjectID, true)
		var ae *authError
		if errors.As(err, &ae) {
			return nil, nil, nil
		}
		return p, roles, err
	}
	var sc scopeRef
	if err := json.Unmarshal(raw, &sc); err != nil {
		return nil, nil, badRequest("Invalid scope.")
	}
	switch {
	case sc.Project != nil:
		if sc.Project.ID != "" {
			return s.projectRoles(ctx, u, sc.Project.ID, true)
		}
		if sc.Project.Name == "" {
			return nil, nil, badRequest("Expecting to find id or name in project.")
		}
		if sc.Project.Domain == nil {
			return nil, nil, badRequest("Expecting to find domain in project.")
		}
		if !isDefaultDomain(sc.Project.Domain) {
			return nil, nil, unauthorized("unknown project domain")
		}
		return s.projectRoles(ctx, u, sc.Project.Name, false)
	case sc.Domain != nil, sc.System != nil, sc.Trust != nil:
		return nil, nil, unauthorized("only project scope is supported")
	default:
		return nil, nil, badRequest("Invalid scope.")
	}
}

// projectRoles finds an enabled project by id (byID) or name and the
// user's roles on it; no project or no role is a 401.
func (s *Service) projectRoles(ctx context.Context, u *model.User, ref string, byID bool) (*model.Project, []string, error) {
	p, err := s.st.GetProject(ctx, ref, DefaultDomainID)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil, nil, unauthorized("unknown project")
		}
		return nil, nil, fmt.Errorf("get project: %w", err)
	}
	if (byID && p.ID != ref) || (!byID && p.Name != ref) || !p.Enabled {
		return nil, nil, unauthorized("unknown or disabled project")
	}
	roles, err := s.st.RolesOf(ctx, u.ID, p.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("roles of user: %w", err)
	}
	if len(roles) == 0 {
		return nil, nil, unauthorized("no role on project")
	}
	roles = slices.Clone(roles)
	slices.Sort(roles)
	return p, slices.Compact(roles), nil
}

func isDefaultDomain(d *domainRef) bool {
	if d.ID != "" {
		return d.ID == DefaultDomainID
	}
	return strings.EqualFold(d.Name, DefaultDomainName)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func hasRole(c *claims, role string) bool { return slices.Contains(c.Roles, role) }
