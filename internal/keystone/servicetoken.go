package keystone

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/openzun/zun/internal/errdefs"
)

// renewMargin is how long before its expiry the service token is renewed
// (keystoneauth renews two minutes ahead); short-lived tokens are renewed
// at half their life.
const renewMargin = 2 * time.Minute

// serviceToken is the validator's own token, fetched on first use and
// renewed before it expires. One goroutine fetches while the others wait.
type serviceToken struct {
	mu      sync.Mutex
	token   string
	renewAt time.Time
}

type authBody struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Name     string  `json:"name"`
					Password string  `json:"password"`
					Domain   nameRef `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				Name   string  `json:"name"`
				Domain nameRef `json:"domain"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

type nameRef struct {
	Name string `json:"name"`
}

// get returns a valid service token, authenticating when needed.
func (v *Validator) serviceToken(ctx context.Context) (string, error) {
	s := &v.svc
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && v.now().Before(s.renewAt) {
		return s.token, nil
	}
	tok, exp, err := v.login(ctx)
	if err != nil {
		return "", err
	}
	now := v.now()
	margin := min(renewMargin, exp.Sub(now)/2)
	s.token, s.renewAt = tok, exp.Add(-margin)
	v.log.Info("obtained keystone service token", "user", v.cfg.Username, "project", v.cfg.Project, "expires", exp)
	return tok, nil
}

// dropServiceToken forgets tok after Keystone refused it (revoked, or
// Keystone's keys rotated), so the next call logs in again.
func (v *Validator) dropServiceToken(tok string) {
	v.svc.mu.Lock()
	if v.svc.token == tok {
		v.svc.token = ""
	}
	v.svc.mu.Unlock()
}

// login authenticates the service account.
func (v *Validator) login(ctx context.Context) (string, time.Time, error) {
	var b authBody
	b.Auth.Identity.Methods = []string{"password"}
	u := &b.Auth.Identity.Password.User
	u.Name, u.Password, u.Domain.Name = v.cfg.Username, v.cfg.Password, v.cfg.UserDomain
	b.Auth.Scope.Project.Name, b.Auth.Scope.Project.Domain.Name = v.cfg.Project, v.cfg.ProjectDomain
	body, err := json.Marshal(b)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("keystone: failed to encode auth request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.cfg.AuthURL+"/auth/tokens?nocatalog", bytes.NewReader(body))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("keystone: failed to build auth request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("keystone: failed to reach %s: %w: %w", v.cfg.AuthURL, errdefs.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("keystone: failed to read auth response: %w: %w", errdefs.ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusCreated {
		// A configuration fault of this service, not of the caller: the
		// caller sees "unavailable", the operator this log line.
		v.log.Error("keystone refused the service credentials", "status", resp.StatusCode,
			"user", v.cfg.Username, "project", v.cfg.Project, "auth_url", v.cfg.AuthURL)
		return "", time.Time{}, fmt.Errorf("keystone: service login as %q answered %d: %w", v.cfg.Username, resp.StatusCode, errdefs.ErrUnavailable)
	}
	tok := resp.Header.Get("X-Subject-Token")
	var tr tokenResponse
	if err := json.Unmarshal(rb, &tr); err != nil || tok == "" {
		return "", time.Time{}, fmt.Errorf("keystone: malformed auth response: %w", errdefs.ErrUnavailable)
	}
	exp, err := parseTime(tr.Token.ExpiresAt)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("keystone: service token: %w: %w", errdefs.ErrUnavailable, err)
	}
	return tok, exp, nil
}
