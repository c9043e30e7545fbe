package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/store/sqlstore"
)

const (
	adminPassword = "admin-secret-pw"
	alicePassword = "alice-secret-pw"
)

// env is a bootstrapped service mounted at /identity of a test server,
// with a second user alice (member of project demo).
type env struct {
	t       testing.TB
	st      store.Identity
	svc     *Service
	srv     *httptest.Server
	base    string // the server's URL
	keyFile string
	aliceID string
	demoID  string
}

func TestMain(m *testing.M) {
	// bcrypt at cost 10 takes seconds under the race detector.
	bcryptCost = bcrypt.MinCost
	os.Exit(m.Run())
}

func testLogger(t testing.TB) *slog.Logger {
	if _, bench := t.(*testing.B); bench {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func newEnv(t testing.TB) *env { return newEnvWith(t, nil) }

func newBenchEnv(b *testing.B) *env { return newEnvWith(b, nil) }

// newBareEnv is a bootstrapped service without demo and alice; extra may
// add routes (beside /identity) before the server starts.
func newBareEnv(t testing.TB, extra func(e *env, mux *http.ServeMux)) *env {
	t.Helper()
	e := &env{t: t, st: newTestStore(t), keyFile: filepath.Join(t.TempDir(), "keys", "token.key")}
	// The URL must be known before the service (its PublicURL), and the
	// handler set before the server starts.
	e.srv = httptest.NewUnstartedServer(nil)
	e.base = "http://" + e.srv.Listener.Addr().String()
	e.svc = e.newService(e.keyFile)
	mux := http.NewServeMux()
	e.svc.Mount(mux, "/identity")
	if extra != nil {
		extra(e, mux)
	}
	e.srv.Config.Handler = mux
	e.srv.Start()
	t.Cleanup(e.srv.Close)

	if err := e.svc.Bootstrap(context.Background(), BootstrapConfig{AdminUser: "admin", AdminPassword: adminPassword, AdminProject: "admin"}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return e
}

// newEnvWith is newBareEnv with project demo and its member alice.
func newEnvWith(t testing.TB, extra func(e *env, mux *http.ServeMux)) *env {
	t.Helper()
	e := newBareEnv(t, extra)
	ctx := context.Background()
	demo := &model.Project{ID: newID(), Name: "demo", DomainID: DefaultDomainID, Enabled: true}
	hash, err := HashPassword(alicePassword)
	if err != nil {
		t.Fatal(err)
	}
	alice := &model.User{ID: newID(), Name: "alice", DomainID: DefaultDomainID, PasswordHash: hash, Enabled: true}
	member, err := e.st.GetRole(ctx, RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		e.st.CreateProject(ctx, demo),
		e.st.CreateUser(ctx, alice),
		e.st.Assign(ctx, model.RoleAssignment{UserID: alice.ID, ProjectID: demo.ID, RoleID: member.ID}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.aliceID, e.demoID = alice.ID, demo.ID
	return e
}

func (e *env) newService(keyFile string) *Service {
	e.t.Helper()
	svc, err := New(Config{
		KeyFile:   keyFile,
		PublicURL: e.base + "/identity",
		Catalog:   []CatalogEntry{{Type: "container", Name: "zun", URL: e.base + "/v1"}},
	}, e.st, testLogger(e.t))
	if err != nil {
		e.t.Fatalf("new service: %v", err)
	}
	return svc
}

func (e *env) url(path string) string { return e.srv.URL + "/identity" + path }

// do sends a request and returns the response with its body read.
func (e *env) do(method, path string, body any, headers map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.url(path), rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, out
}

// passwordAuth builds a password request body; scope may be nil.
func passwordAuth(user map[string]any, password string, scope any) map[string]any {
	user["password"] = password
	auth := map[string]any{"identity": map[string]any{
		"methods":  []string{"password"},
		"password": map[string]any{"user": user},
	}}
	if scope != nil {
		auth["scope"] = scope
	}
	return map[string]any{"auth": auth}
}

func projectScope(name string) map[string]any {
	return map[string]any{"project": map[string]any{"name": name, "domain": map[string]any{"name": "Default"}}}
}

// tokenResp is the part of a token body the tests read.
type tokenResp struct {
	Token struct {
		Methods []string `json:"methods"`
		User    struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain ref    `json:"domain"`
		} `json:"user"`
		Project *struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain ref    `json:"domain"`
		} `json:"project"`
		Roles     []ref         `json:"roles"`
		Catalog   []serviceView `json:"catalog"`
		ExpiresAt string        `json:"expires_at"`
		IssuedAt  string        `json:"issued_at"`
		AuditIDs  []string      `json:"audit_ids"`
	} `json:"token"`
}

// issue authenticates and requires a 201; it returns the token and body.
func (e *env) issue(body any) (string, tokenResp) {
	e.t.Helper()
	resp, raw := e.do("POST", "/v3/auth/tokens", body, nil)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("issue: status %d: %s", resp.StatusCode, raw)
	}
	var tr tokenResp
	if err := json.Unmarshal(raw, &tr); err != nil {
		e.t.Fatalf("issue: %v: %s", err, raw)
	}
	tok := resp.Header.Get("X-Subject-Token")
	if tok == "" {
		e.t.Fatal("issue: no X-Subject-Token")
	}
	return tok, tr
}

func (e *env) adminToken() string {
	e.t.Helper()
	tok, _ := e.issue(passwordAuth(map[string]any{"name": "admin", "domain": map[string]any{"id": "default"}}, adminPassword, projectScope("admin")))
	return tok
}

func (e *env) aliceToken(scope any) string {
	e.t.Helper()
	tok, _ := e.issue(passwordAuth(map[string]any{"name": "alice", "domain": map[string]any{"name": "Default"}}, alicePassword, scope))
	return tok
}

// newTestStore is a real SQLite store in a temporary directory.
func newTestStore(t testing.TB) store.Identity {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "zun.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st.Identity()
}

// setUser edits a user in the store.
func (e *env) setUser(id string, fn func(u *model.User)) {
	e.t.Helper()
	if _, err := e.st.UpdateUser(context.Background(), id, func(u *model.User) error { fn(u); return nil }); err != nil {
		e.t.Fatal(err)
	}
}

func httptestServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
