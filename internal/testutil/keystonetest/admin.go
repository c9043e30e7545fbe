package keystonetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Credentials name a user and the project its tokens are scoped to, in
// the Default domain.
type Credentials struct {
	User, Password, Project string
}

// Admin is the bootstrap administrator.
var Admin = Credentials{User: "admin", Password: AdminPassword, Project: "admin"}

// Env returns the OS_* variables with which the OpenStack clients
// authenticate as c against k.
func (k *Keystone) Env(c Credentials) []string {
	return []string{
		"OS_AUTH_URL=" + k.URL, "OS_IDENTITY_API_VERSION=3", "OS_AUTH_TYPE=password",
		"OS_USERNAME=" + c.User, "OS_PASSWORD=" + c.Password, "OS_PROJECT_NAME=" + c.Project,
		"OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default", "OS_REGION_NAME=" + Region,
	}
}

// IssueToken authenticates c with a password and returns a project-scoped
// token.
func (k *Keystone) IssueToken(ctx context.Context, c Credentials) (string, error) {
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": c.User, "password": c.Password, "domain": map[string]string{"id": "default"}}}},
		"scope": map[string]any{"project": map[string]any{"name": c.Project, "domain": map[string]string{"id": "default"}}},
	}}
	resp, b, err := k.do(ctx, "", http.MethodPost, "/auth/tokens?nocatalog", body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("token for %s: %w %d: %s", c.User, errStatus, resp.StatusCode, b)
	}
	return resp.Header.Get("X-Subject-Token"), nil
}

// Token is IssueToken failing t on error.
func (k *Keystone) Token(t testing.TB, c Credentials) string {
	t.Helper()
	tok, err := k.IssueToken(context.Background(), c)
	if err != nil {
		t.Fatalf("keystonetest: %v", err)
	}
	return tok
}

// Revoke revokes token (DELETE /v3/auth/tokens) as admin.
func (k *Keystone) Revoke(t testing.TB, token string) {
	t.Helper()
	k.call(t, http.MethodDelete, "/auth/tokens", nil, http.StatusNoContent, nil, "X-Subject-Token", token)
}

// CreateProject creates a project in the Default domain and returns its id.
func (k *Keystone) CreateProject(t testing.TB, name string) string {
	t.Helper()
	var out struct{ Project struct{ ID string } }
	k.call(t, http.MethodPost, "/projects", map[string]any{"project": map[string]any{"name": name, "domain_id": "default"}},
		http.StatusCreated, &out)
	return out.Project.ID
}

// ProjectID returns the id of the project called name.
func (k *Keystone) ProjectID(t testing.TB, name string) string {
	t.Helper()
	var out struct{ Projects []struct{ ID string } }
	k.call(t, http.MethodGet, "/projects?name="+url.QueryEscape(name), nil, http.StatusOK, &out)
	if len(out.Projects) != 1 {
		t.Fatalf("keystonetest: %d projects named %q", len(out.Projects), name)
	}
	return out.Projects[0].ID
}

// CreateUser creates a user in the Default domain, gives it roles on
// project (an id) and returns its id.
func (k *Keystone) CreateUser(t testing.TB, name, password, project string, roles ...string) string {
	t.Helper()
	var out struct{ User struct{ ID string } }
	k.call(t, http.MethodPost, "/users", map[string]any{"user": map[string]any{
		"name": name, "password": password, "domain_id": "default", "default_project_id": project}}, http.StatusCreated, &out)
	for _, r := range roles {
		k.Grant(t, out.User.ID, project, r)
	}
	return out.User.ID
}

// Grant gives user (an id) role (a name) on project (an id).
func (k *Keystone) Grant(t testing.TB, user, project, role string) {
	t.Helper()
	var out struct{ Roles []struct{ ID string } }
	k.call(t, http.MethodGet, "/roles?name="+url.QueryEscape(role), nil, http.StatusOK, &out)
	if len(out.Roles) != 1 {
		t.Fatalf("keystonetest: no role %q", role)
	}
	k.call(t, http.MethodPut, "/projects/"+project+"/users/"+user+"/roles/"+out.Roles[0].ID, nil, http.StatusNoContent, nil)
}

// Openstack runs the openstack CLI with the environment of c and returns
// its standard output.
func (k *Keystone) Openstack(t testing.TB, c Credentials, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openstack", args...)
	cmd.Env = append(cleanEnv(), k.Env(c)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openstack %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// cleanEnv is the process environment without OS_* variables, so a
// developer's own cloud never leaks into a test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OS_") {
			env = append(env, kv)
		}
	}
	return env
}

// adminToken returns a cached admin token (Keystone's tokens last an
// hour; a test binary does not).
func (k *Keystone) adminToken(ctx context.Context) (string, error) {
	k.mu.Lock()
	tok := k.admin
	k.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	tok, err := k.IssueToken(ctx, Admin)
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	k.admin = tok
	k.mu.Unlock()
	return tok, nil
}

// call sends an admin request and decodes the answer into out.
func (k *Keystone) call(t testing.TB, method, path string, body any, want int, out any, header ...string) {
	t.Helper()
	ctx := context.Background()
	tok, err := k.adminToken(ctx)
	if err != nil {
		t.Fatalf("keystonetest: %v", err)
	}
	resp, b, err := k.do(ctx, tok, method, path, body, header...)
	if err != nil {
		t.Fatalf("keystonetest: %s %s: %v", method, path, err)
	}
	if resp.StatusCode != want {
		if resp.StatusCode >= 500 {
			t.Logf("keystone log:\n%s", tailOf([]byte(k.Log())))
		}
		t.Fatalf("keystonetest: %s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("keystonetest: %s %s: %v", method, path, err)
		}
	}
}

// do sends a request, retrying a few times on a 500: Keystone on SQLite
// answers "database is locked" when a loaded machine stretches one of its
// transactions past SQLite's busy timeout, and the failed transaction was
// rolled back.
func (k *Keystone) do(ctx context.Context, token, method, path string, body any, header ...string) (*http.Response, []byte, error) {
	for attempt := 1; ; attempt++ {
		resp, b, err := k.doOnce(ctx, token, method, path, body, header...)
		if err != nil || resp.StatusCode != http.StatusInternalServerError || attempt == 3 {
			return resp, b, err
		}
		time.Sleep(time.Duration(attempt) * time.Second)
	}
}

func (k *Keystone) doOnce(ctx context.Context, token, method, path string, body any, header ...string) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.URL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}
