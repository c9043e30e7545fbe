package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
)

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"", "/"} {
		resp, raw := e.do("GET", path, nil, nil)
		if resp.StatusCode != http.StatusMultipleChoices {
			t.Fatalf("GET %q: status %d: %s", path, resp.StatusCode, raw)
		}
		var body struct {
			Versions struct {
				Values []versionView `json:"values"`
			} `json:"versions"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Versions.Values) != 1 {
			t.Fatalf("versions: %s", raw)
		}
		v := body.Versions.Values[0]
		if v.ID != "v3.14" || v.Status != "stable" || v.Links[0]["href"] != e.url("/v3/") || v.Links[0]["rel"] != "self" {
			t.Fatalf("version: %+v", v)
		}
		if v.MediaTypes[0]["type"] != "application/vnd.openstack.identity-v3+json" {
			t.Fatalf("media types: %+v", v.MediaTypes)
		}
	}
	for _, path := range []string{"/v3", "/v3/"} {
		resp, raw := e.do("GET", path, nil, nil)
		var body struct {
			Version versionView `json:"version"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &body) != nil || body.Version.ID != "v3.14" {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
		}
	}
}

func TestPasswordAuthByNames(t *testing.T) {
	e := newEnv(t)
	start := time.Now().Add(-time.Second)
	tok, tr := e.issue(passwordAuth(
		map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}},
		adminPassword, projectScope("admin")))
	tk := tr.Token
	if !slices.Equal(tk.Methods, []string{"password"}) || tk.User.Name != "admin" || tk.User.Domain != defaultDomain {
		t.Fatalf("token: %+v", tk)
	}
	if tk.Project == nil || tk.Project.Name != "admin" || tk.Project.Domain.ID != "default" {
		t.Fatalf("project: %+v", tk.Project)
	}
	var names []string
	for _, r := range tk.Roles {
		if r.ID == "" {
			t.Fatalf("role without id: %+v", r)
		}
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"admin", "member", "reader"}) {
		t.Fatalf("roles: %v", names)
	}
	issued, err1 := time.Parse(timeFormat, tk.IssuedAt)
	expires, err2 := time.Parse(timeFormat, tk.ExpiresAt)
	if err1 != nil || err2 != nil || expires.Sub(issued) > DefaultTokenTTL || expires.Sub(issued) <= DefaultTokenTTL-time.Second || issued.Before(start.Truncate(time.Second)) {
		t.Fatalf("times: issued %s expires %s", tk.IssuedAt, tk.ExpiresAt)
	}
	if len(tk.AuditIDs) != 1 || len(tk.AuditIDs[0]) != 22 {
		t.Fatalf("audit ids: %v", tk.AuditIDs)
	}

	id, exp, err := e.svc.Validate(context.Background(), tok)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if id.UserID != tk.User.ID || id.ProjectID != tk.Project.ID || !id.IsAdmin() || !exp.Equal(expires) || id.DomainID != "default" {
		t.Fatalf("identity %+v expires %s", id, exp)
	}
}

func TestPasswordAuthByIDs(t *testing.T) {
	e := newEnv(t)
	_, tr := e.issue(passwordAuth(map[string]any{"id": e.aliceID}, alicePassword,
		map[string]any{"project": map[string]any{"id": e.demoID}}))
	if tr.Token.User.ID != e.aliceID || tr.Token.Project == nil || tr.Token.Project.ID != e.demoID || tr.Token.Project.Name != "demo" {
		t.Fatalf("token: %+v", tr.Token)
	}
	if len(tr.Token.Roles) != 1 || tr.Token.Roles[0].Name != "member" {
		t.Fatalf("roles: %+v", tr.Token.Roles)
	}
	// Domain by id, lower-case name too.
	e.aliceToken(map[string]any{"project": map[string]any{"name": "demo", "domain": map[string]any{"id": "default"}}})
	e.aliceToken(map[string]any{"project": map[string]any{"name": "demo", "domain": map[string]any{"name": "default"}}})
}

func TestScopeRules(t *testing.T) {
	e := newEnv(t)
	alice := map[string]any{"name": "alice", "domain": map[string]any{"name": "Default"}}

	// Explicitly unscoped: no project, no catalog, no roles.
	tok, tr := e.issue(passwordAuth(alice, alicePassword, "unscoped"))
	if tr.Token.Project != nil || len(tr.Token.Roles) != 0 || len(tr.Token.Catalog) != 0 {
		t.Fatalf("unscoped token: %+v", tr.Token)
	}
	id, _, err := e.svc.Validate(context.Background(), tok)
	if err != nil || id.ProjectID != "" || len(id.Roles) != 0 {
		t.Fatalf("unscoped identity %+v, %v", id, err)
	}
	// No scope: the admin user's default project.
	_, tr = e.issue(passwordAuth(map[string]any{"name": "admin", "domain": map[string]any{"id": "default"}}, adminPassword, nil))
	if tr.Token.Project == nil || tr.Token.Project.Name != "admin" {
		t.Fatalf("default project scope: %+v", tr.Token)
	}

	for name, scope := range map[string]any{
		"project without role": projectScope("admin"),
		"unknown project":      projectScope("nope"),
		"unknown domain":       map[string]any{"project": map[string]any{"name": "demo", "domain": map[string]any{"name": "Other"}}},
		"domain scope":         map[string]any{"domain": map[string]any{"id": "default"}},
		"system scope":         map[string]any{"system": map[string]any{"all": true}},
	} {
		resp, raw := e.do("POST", "/v3/auth/tokens", passwordAuth(alice, alicePassword, scope), nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d: %s", name, resp.StatusCode, raw)
		}
	}
	resp, raw := e.do("POST", "/v3/auth/tokens", passwordAuth(alice, alicePassword,
		map[string]any{"project": map[string]any{"name": "demo"}}), nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("project name without domain: %d %s", resp.StatusCode, raw)
	}
}

func TestWrongPasswordLooksLikeUnknownUser(t *testing.T) {
	e := newEnv(t)
	wrong, wrongBody := e.do("POST", "/v3/auth/tokens",
		passwordAuth(map[string]any{"name": "alice", "domain": map[string]any{"name": "Default"}}, "not-the-password", nil), nil)
	unknown, unknownBody := e.do("POST", "/v3/auth/tokens",
		passwordAuth(map[string]any{"name": "mallory", "domain": map[string]any{"name": "Default"}}, "not-the-password", nil), nil)
	byID, byIDBody := e.do("POST", "/v3/auth/tokens",
		passwordAuth(map[string]any{"id": "0123456789abcdef"}, "not-the-password", nil), nil)
	e.setUser(e.aliceID, func(u *model.User) { u.Enabled = false })
	disabled, disabledBody := e.do("POST", "/v3/auth/tokens",
		passwordAuth(map[string]any{"name": "alice", "domain": map[string]any{"name": "Default"}}, alicePassword, nil), nil)

	want := `{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`
	for name, c := range map[string]struct {
		resp *http.Response
		body []byte
	}{"wrong password": {wrong, wrongBody}, "unknown user": {unknown, unknownBody}, "unknown id": {byID, byIDBody}, "disabled": {disabled, disabledBody}} {
		if c.resp.StatusCode != http.StatusUnauthorized || strings.TrimSpace(string(c.body)) != want {
			t.Errorf("%s: %d %s", name, c.resp.StatusCode, c.body)
		}
		if c.resp.Header.Get("X-Subject-Token") != "" || !strings.HasPrefix(c.resp.Header.Get("WWW-Authenticate"), "Keystone uri=") {
			t.Errorf("%s: headers %v", name, c.resp.Header)
		}
	}
}

func TestRescope(t *testing.T) {
	e := newEnv(t)
	unscoped, first := e.issue(passwordAuth(map[string]any{"name": "alice", "domain": map[string]any{"name": "Default"}}, alicePassword, "unscoped"))
	e.svc.setClock(func() time.Time { return time.Now().Add(10 * time.Minute) })
	tokenAuth := func(tok string, scope any) map[string]any {
		return map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"token"}, "token": map[string]any{"id": tok}},
			"scope":    scope,
		}}
	}
	scoped, tr := e.issue(tokenAuth(unscoped, projectScope("demo")))
	if tr.Token.Project == nil || tr.Token.Project.ID != e.demoID || tr.Token.User.ID != e.aliceID {
		t.Fatalf("rescoped: %+v", tr.Token)
	}
	if !slices.Equal(tr.Token.Methods, []string{"password", "token"}) {
		t.Fatalf("methods: %v", tr.Token.Methods)
	}
	if tr.Token.ExpiresAt != first.Token.ExpiresAt {
		t.Fatalf("re-scope extended the lifetime: %s -> %s", first.Token.ExpiresAt, tr.Token.ExpiresAt)
	}
	if len(tr.Token.AuditIDs) != 2 || tr.Token.AuditIDs[1] != first.Token.AuditIDs[0] {
		t.Fatalf("audit chain: %v then %v", first.Token.AuditIDs, tr.Token.AuditIDs)
	}
	id, _, err := e.svc.Validate(context.Background(), scoped)
	if err != nil || id.ProjectID != e.demoID || !id.HasRole("member") {
		t.Fatalf("rescoped identity %+v, %v", id, err)
	}
	// Re-scoping a re-scoped token keeps the chain's root.
	_, tr2 := e.issue(tokenAuth(scoped, "unscoped"))
	if tr2.Token.AuditIDs[1] != first.Token.AuditIDs[0] {
		t.Fatalf("audit chain root lost: %v", tr2.Token.AuditIDs)
	}
	// No role on the admin project.
	if resp, raw := e.do("POST", "/v3/auth/tokens", tokenAuth(unscoped, projectScope("admin")), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("rescope to foreign project: %d %s", resp.StatusCode, raw)
	}
	// A disabled user cannot re-scope.
	e.setUser(e.aliceID, func(u *model.User) { u.Enabled = false })
	if resp, raw := e.do("POST", "/v3/auth/tokens", tokenAuth(unscoped, projectScope("demo")), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("rescope of disabled user: %d %s", resp.StatusCode, raw)
	}
	// Nor can an expired token.
	e.setUser(e.aliceID, func(u *model.User) { u.Enabled = true })
	e.svc.setClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if resp, raw := e.do("POST", "/v3/auth/tokens", tokenAuth(unscoped, projectScope("demo")), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("rescope of expired token: %d %s", resp.StatusCode, raw)
	}
}

func TestTokenCheckEndpoint(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice := e.aliceToken(projectScope("demo"))

	resp, raw := e.do("GET", "/v3/auth/tokens", nil, map[string]string{"X-Auth-Token": admin, "X-Subject-Token": alice})
	var tr tokenResp
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &tr) != nil {
		t.Fatalf("validate: %d %s", resp.StatusCode, raw)
	}
	if tr.Token.User.Name != "alice" || tr.Token.Project.Name != "demo" || len(tr.Token.Catalog) != 2 || resp.Header.Get("X-Subject-Token") != alice {
		t.Fatalf("validated token: %+v", tr.Token)
	}
	resp, raw = e.do("GET", "/v3/auth/tokens?nocatalog", nil, map[string]string{"X-Auth-Token": alice, "X-Subject-Token": alice})
	var self tokenResp
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &self) != nil || len(self.Token.Catalog) != 0 || self.Token.User.ID != e.aliceID {
		t.Fatalf("self validate nocatalog: %d %s", resp.StatusCode, raw)
	}
	for name, c := range map[string]struct {
		method, caller, subject string
		want                    int
	}{
		"head":              {"HEAD", admin, alice, http.StatusOK},
		"bad subject":       {"GET", admin, alice[:len(alice)-4] + "AAAA", http.StatusNotFound},
		"bad subject head":  {"HEAD", admin, "garbage", http.StatusNotFound},
		"no caller":         {"GET", "", alice, http.StatusUnauthorized},
		"other user":        {"GET", alice, admin, http.StatusForbidden},
		"garbage caller":    {"GET", "garbage", alice, http.StatusUnauthorized},
		"no subject at all": {"GET", admin, "", http.StatusNotFound},
	} {
		resp, raw := e.do(c.method, "/v3/auth/tokens", nil, map[string]string{"X-Auth-Token": c.caller, "X-Subject-Token": c.subject})
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d want %d: %s", name, resp.StatusCode, c.want, raw)
		}
	}
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	tok, tr := e.issue(passwordAuth(map[string]any{"name": "alice", "domain": map[string]any{"name": "Default"}}, alicePassword, projectScope("demo")))
	check := func(cat []serviceView) {
		t.Helper()
		want := map[string]string{"identity": e.url(""), "container": e.srv.URL + "/v1"}
		if len(cat) != len(want) {
			t.Fatalf("catalog: %+v", cat)
		}
		for _, s := range cat {
			if want[s.Type] == "" || s.ID == "" || len(s.Endpoints) != 3 {
				t.Fatalf("service: %+v", s)
			}
			var ifaces []string
			for _, ep := range s.Endpoints {
				if ep.URL != want[s.Type] || ep.Region != "RegionOne" || ep.RegionID != "RegionOne" || ep.ID == "" {
					t.Fatalf("endpoint of %s: %+v", s.Type, ep)
				}
				ifaces = append(ifaces, ep.Interface)
			}
			if !slices.Equal(ifaces, []string{"public", "internal", "admin"}) {
				t.Fatalf("interfaces: %v", ifaces)
			}
		}
	}
	check(tr.Token.Catalog)

	resp, raw := e.do("GET", "/v3/auth/catalog", nil, map[string]string{"X-Auth-Token": tok})
	var body struct {
		Catalog []serviceView `json:"catalog"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &body) != nil {
		t.Fatalf("catalog: %d %s", resp.StatusCode, raw)
	}
	check(body.Catalog)
	if resp, _ := e.do("GET", "/v3/auth/catalog", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("catalog without token: %d", resp.StatusCode)
	}
	// nocatalog on issue.
	resp, raw = e.do("POST", "/v3/auth/tokens?nocatalog", passwordAuth(map[string]any{"id": e.aliceID}, alicePassword, projectScope("demo")), nil)
	var tr2 tokenResp
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &tr2) != nil || len(tr2.Token.Catalog) != 0 {
		t.Fatalf("nocatalog: %d %s", resp.StatusCode, raw)
	}
}

func TestProjectsAndAdminLists(t *testing.T) {
	e := newEnv(t)
	alice := e.aliceToken("unscoped")
	admin := e.adminToken()
	names := func(path, tok, key string) []string {
		t.Helper()
		resp, raw := e.do("GET", path, nil, map[string]string{"X-Auth-Token": tok})
		var body map[string]json.RawMessage
		var items []struct {
			Name string `json:"name"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &body) != nil || json.Unmarshal(body[key], &items) != nil {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, raw)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.Name)
		}
		slices.Sort(out)
		return out
	}
	if got := names("/v3/auth/projects", alice, "projects"); !slices.Equal(got, []string{"demo"}) {
		t.Fatalf("alice's projects: %v", got)
	}
	if got := names("/v3/auth/projects", admin, "projects"); !slices.Equal(got, []string{"admin"}) {
		t.Fatalf("admin's projects: %v", got)
	}
	if got := names("/v3/projects", admin, "projects"); !slices.Equal(got, []string{"admin", "demo", "service"}) {
		t.Fatalf("projects: %v", got)
	}
	if got := names("/v3/projects?name=demo", admin, "projects"); !slices.Equal(got, []string{"demo"}) {
		t.Fatalf("projects by name: %v", got)
	}
	if got := names("/v3/users", admin, "users"); !slices.Equal(got, []string{"admin", "alice"}) {
		t.Fatalf("users: %v", got)
	}
	if got := names("/v3/roles", admin, "roles"); !slices.Equal(got, []string{"admin", "member", "reader"}) {
		t.Fatalf("roles: %v", got)
	}
	for _, path := range []string{"/v3/projects", "/v3/users", "/v3/roles"} {
		if resp, raw := e.do("GET", path, nil, map[string]string{"X-Auth-Token": alice}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s as alice: %d %s", path, resp.StatusCode, raw)
		}
		if resp, _ := e.do("GET", path, nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without token: %d", path, resp.StatusCode)
		}
	}
	resp, raw := e.do("GET", "/v3/users", nil, map[string]string{"X-Auth-Token": admin})
	if strings.Contains(string(raw), "$2a$") || strings.Contains(string(raw), "password\":\"") || resp.StatusCode != http.StatusOK {
		t.Fatalf("user list leaks a hash: %s", raw)
	}
}

func TestErrorFormat(t *testing.T) {
	e := newEnv(t)
	for name, c := range map[string]struct {
		method, path string
		body         any
		want         int
	}{
		"bad json":        {"POST", "/v3/auth/tokens", "{nope", http.StatusBadRequest},
		"no methods":      {"POST", "/v3/auth/tokens", `{"auth":{"identity":{}}}`, http.StatusBadRequest},
		"unknown method":  {"POST", "/v3/auth/tokens", `{"auth":{"identity":{"methods":["totp"]}}}`, http.StatusUnauthorized},
		"no user":         {"POST", "/v3/auth/tokens", `{"auth":{"identity":{"methods":["password"],"password":{}}}}`, http.StatusBadRequest},
		"repeated method": {"POST", "/v3/auth/tokens", `{"auth":{"identity":{"methods":["password","password"]}}}`, http.StatusBadRequest},
		"unknown path":    {"GET", "/v3/nothing", nil, http.StatusNotFound},
		"wrong method":    {"DELETE", "/v3/projects", nil, http.StatusMethodNotAllowed},
		"huge body":       {"POST", "/v3/auth/tokens", `{"auth":"` + strings.Repeat("a", maxAuthBody) + `"}`, http.StatusBadRequest},
		"name, no domain": {"POST", "/v3/auth/tokens", passwordAuth(map[string]any{"name": "alice"}, alicePassword, nil), http.StatusBadRequest},
	} {
		resp, raw := e.do(c.method, c.path, c.body, nil)
		var body errorBody
		if resp.StatusCode != c.want || json.Unmarshal(raw, &body) != nil || body.Error.Code != c.want ||
			body.Error.Title != http.StatusText(c.want) || body.Error.Message == "" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, raw)
		}
	}
}

func TestBootstrapIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	before, _ := e.st.ListUsers(ctx)
	if err := e.svc.Bootstrap(ctx, BootstrapConfig{AdminUser: "admin", AdminPassword: "another-password", AdminProject: "admin"}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.st.ListUsers(ctx)
	projects, _ := e.st.ListProjects(ctx)
	roles, _ := e.st.ListRoles(ctx)
	if len(before) != len(after) || len(projects) != 3 || len(roles) != 3 {
		t.Fatalf("bootstrap twice: %d/%d users, %d projects, %d roles", len(before), len(after), len(projects), len(roles))
	}
	// The password was left unchanged.
	e.adminToken()
	resp, _ := e.do("POST", "/v3/auth/tokens", passwordAuth(map[string]any{"name": "admin", "domain": map[string]any{"id": "default"}}, "another-password", nil), nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bootstrap changed the password: %d", resp.StatusCode)
	}
	u, err := e.st.GetUser(ctx, "admin", DefaultDomainID)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := e.st.GetProject(ctx, "admin", DefaultDomainID)
	got, _ := e.st.RolesOf(ctx, u.ID, p.ID)
	if !slices.Equal(got, []string{"admin", "member", "reader"}) || u.DefaultProjectID != p.ID || u.DomainID != "default" {
		t.Fatalf("admin user %+v roles %v", u, got)
	}
	if err := e.svc.Bootstrap(ctx, BootstrapConfig{AdminUser: "x", AdminPassword: "short", AdminProject: "admin"}); err == nil {
		t.Fatal("bootstrap accepted a too short password")
	}
}
