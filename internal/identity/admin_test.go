package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// call sends a request with token and decodes a JSON answer into out
// (when not nil); it returns the status and the raw body.
func (e *env) call(method, path, token string, body, out any) (int, string) {
	e.t.Helper()
	h := map[string]string{}
	if token != "" {
		h["X-Auth-Token"] = token
	}
	resp, raw := e.do(method, path, body, h)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

// wantError checks Keystone's error format and status.
func wantError(t *testing.T, what string, status int, raw string, want int) {
	t.Helper()
	var b errorBody
	if status != want || json.Unmarshal([]byte(raw), &b) != nil || b.Error.Code != want ||
		b.Error.Title != http.StatusText(want) || b.Error.Message == "" {
		t.Errorf("%s: %d %s, want %d in Keystone's format", what, status, raw, want)
	}
}

type projectBody struct {
	Project projectListItem `json:"project"`
}

type userBody struct {
	User userListItem `json:"user"`
}

func TestCreateProject(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	var got projectBody
	status, raw := e.call("POST", "/v3/projects", admin, map[string]any{"project": map[string]any{
		"name": "acme", "description": "The Acme project", "domain_id": "default", "enabled": false,
		"tags": []string{}, "options": map[string]any{}, "parent_id": nil, "is_domain": false,
		"some_extra": "ignored",
	}}, &got)
	p := got.Project
	if status != http.StatusCreated || len(p.ID) != 32 || p.Name != "acme" || p.Description != "The Acme project" ||
		p.Enabled || p.DomainID != "default" || p.ParentID != "default" || !strings.HasSuffix(p.Links["self"], "/v3/projects/"+p.ID) {
		t.Fatalf("create: %d %s", status, raw)
	}
	stored, err := e.st.GetProject(context.Background(), p.ID, DefaultDomainID)
	if err != nil || stored.Name != "acme" || stored.Enabled || stored.CreatedAt.IsZero() {
		t.Fatalf("stored: %+v, %v", stored, err)
	}
	// Enabled is the default.
	status, raw = e.call("POST", "/v3/projects", admin, `{"project":{"name":"beta"}}`, &got)
	if status != http.StatusCreated || !got.Project.Enabled || got.Project.Description != "" {
		t.Fatalf("create beta: %d %s", status, raw)
	}

	for name, c := range map[string]struct {
		body any
		want int
	}{
		"duplicate":          {`{"project":{"name":"acme"}}`, http.StatusConflict},
		"name is an id":      {map[string]any{"project": map[string]any{"name": p.ID}}, http.StatusConflict},
		"no project":         {`{"name":"x"}`, http.StatusBadRequest},
		"project not object": {`{"project":"x"}`, http.StatusBadRequest},
		"no name":            {`{"project":{"description":"x"}}`, http.StatusBadRequest},
		"null name":          {`{"project":{"name":null}}`, http.StatusBadRequest},
		"number name":        {`{"project":{"name":42}}`, http.StatusBadRequest},
		"blank name":         {`{"project":{"name":"  "}}`, http.StatusBadRequest},
		"long name":          {`{"project":{"name":"` + strings.Repeat("n", 65) + `"}}`, http.StatusBadRequest},
		"control char":       {`{"project":{"name":"a\u0000b"}}`, http.StatusBadRequest},
		"enabled string":     {`{"project":{"name":"x","enabled":"yes"}}`, http.StatusBadRequest},
		"enabled null":       {`{"project":{"name":"x","enabled":null}}`, http.StatusBadRequest},
		"description number": {`{"project":{"name":"x","description":1}}`, http.StatusBadRequest},
		"other domain":       {`{"project":{"name":"x","domain_id":"other"}}`, http.StatusBadRequest},
		"is domain":          {`{"project":{"name":"x","is_domain":true}}`, http.StatusBadRequest},
		"parent project":     {map[string]any{"project": map[string]any{"name": "x", "parent_id": e.demoID}}, http.StatusBadRequest},
		"tags":               {`{"project":{"name":"x","tags":["t"]}}`, http.StatusBadRequest},
		"options":            {`{"project":{"name":"x","options":{"immutable":true}}}`, http.StatusBadRequest},
		"bad json":           {`{"project":`, http.StatusBadRequest},
		"array":              {`[]`, http.StatusBadRequest},
		"huge":               {`{"project":{"name":"x","description":"` + strings.Repeat("d", maxAdminBody) + `"}}`, http.StatusRequestEntityTooLarge},
	} {
		status, raw := e.call("POST", "/v3/projects", admin, c.body, nil)
		wantError(t, name, status, raw, c.want)
	}
	status, raw = e.call("POST", "/v3/projects", e.aliceToken(projectScope("demo")), `{"project":{"name":"x"}}`, nil)
	wantError(t, "as alice", status, raw, http.StatusForbidden)
	status, raw = e.call("POST", "/v3/projects", "", `{"project":{"name":"x"}}`, nil)
	wantError(t, "no token", status, raw, http.StatusUnauthorized)
	if _, err := e.st.GetProject(context.Background(), "x", DefaultDomainID); err == nil {
		t.Fatal("a refused create stored project x")
	}
}

func TestCreateProjectConcurrently(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i], _ = e.call("POST", "/v3/projects", admin, `{"project":{"name":"race"}}`, nil)
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	if statuses[0] != http.StatusCreated || statuses[1] != http.StatusConflict || statuses[n-1] != http.StatusConflict {
		t.Fatalf("statuses: %v", statuses)
	}
}

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	var got userBody
	status, raw := e.call("POST", "/v3/users", admin, map[string]any{"user": map[string]any{
		"name": "bob", "password": "bob-secret-pw", "default_project_id": e.demoID, "domain_id": "default",
		"email": nil, "description": "", "unknown": 1,
	}}, &got)
	u := got.User
	if status != http.StatusCreated || len(u.ID) != 32 || u.Name != "bob" || !u.Enabled || u.DefaultProjectID != e.demoID ||
		u.DomainID != "default" || strings.Contains(raw, "password\":\"") || strings.Contains(raw, "bob-secret-pw") {
		t.Fatalf("create: %d %s", status, raw)
	}
	stored, err := e.st.GetUser(context.Background(), u.ID, DefaultDomainID)
	if err != nil || !strings.HasPrefix(stored.PasswordHash, "$2a$") || stored.CreatedAt.IsZero() {
		t.Fatalf("stored: %+v, %v", stored, err)
	}
	// bob has no role yet: an unscoped token only.
	_, tr := e.issue(passwordAuth(map[string]any{"id": u.ID}, "bob-secret-pw", "unscoped"))
	if tr.Token.User.ID != u.ID || tr.Token.Project != nil {
		t.Fatalf("bob's token: %+v", tr.Token)
	}
	// A user without password exists but cannot log in.
	status, raw = e.call("POST", "/v3/users", admin, `{"user":{"name":"carol","enabled":false}}`, &got)
	if status != http.StatusCreated || got.User.Enabled {
		t.Fatalf("create carol: %d %s", status, raw)
	}
	resp, _ := e.do("POST", "/v3/auth/tokens", passwordAuth(map[string]any{"id": got.User.ID}, "", nil), nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("carol logged in: %d", resp.StatusCode)
	}

	for name, c := range map[string]struct {
		body any
		want int
	}{
		"duplicate":       {`{"user":{"name":"bob","password":"another-pw"}}`, http.StatusConflict},
		"name is an id":   {map[string]any{"user": map[string]any{"name": e.aliceID}}, http.StatusConflict},
		"no name":         {`{"user":{"password":"long-enough"}}`, http.StatusBadRequest},
		"short password":  {`{"user":{"name":"x","password":"short"}}`, http.StatusBadRequest},
		"long password":   {`{"user":{"name":"x","password":"` + strings.Repeat("p", 73) + `"}}`, http.StatusBadRequest},
		"number password": {`{"user":{"name":"x","password":12345678}}`, http.StatusBadRequest},
		"unknown project": {`{"user":{"name":"x","default_project_id":"nope"}}`, http.StatusBadRequest},
		"project by name": {`{"user":{"name":"x","default_project_id":"demo"}}`, http.StatusBadRequest},
		"other domain":    {`{"user":{"name":"x","domain_id":"ldap"}}`, http.StatusBadRequest},
		"email":           {`{"user":{"name":"x","email":"x@example.com"}}`, http.StatusBadRequest},
		"enabled number":  {`{"user":{"name":"x","enabled":1}}`, http.StatusBadRequest},
		"long name":       {`{"user":{"name":"` + strings.Repeat("n", 256) + `"}}`, http.StatusBadRequest},
	} {
		status, raw := e.call("POST", "/v3/users", admin, c.body, nil)
		wantError(t, name, status, raw, c.want)
	}
	status, raw = e.call("POST", "/v3/users", e.aliceToken(projectScope("demo")), `{"user":{"name":"x"}}`, nil)
	wantError(t, "as alice", status, raw, http.StatusForbidden)
}

func TestShowProjectsAndUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	alice := e.aliceToken(projectScope("demo"))
	adminUser, _ := e.st.GetUser(context.Background(), "admin", DefaultDomainID)
	adminProject, _ := e.st.GetProject(context.Background(), "admin", DefaultDomainID)

	var p projectBody
	if status, raw := e.call("GET", "/v3/projects/"+e.demoID, admin, nil, &p); status != http.StatusOK || p.Project.Name != "demo" {
		t.Fatalf("show demo: %d %s", status, raw)
	}
	// The project of alice's token, but no other.
	if status, raw := e.call("GET", "/v3/projects/"+e.demoID, alice, nil, &p); status != http.StatusOK || p.Project.ID != e.demoID {
		t.Fatalf("show demo as alice: %d %s", status, raw)
	}
	status, raw := e.call("GET", "/v3/projects/"+adminProject.ID, alice, nil, nil)
	wantError(t, "admin project as alice", status, raw, http.StatusForbidden)
	// Ids only: the CLI relies on a 404 for a name before it lists.
	status, raw = e.call("GET", "/v3/projects/demo", admin, nil, nil)
	wantError(t, "project by name", status, raw, http.StatusNotFound)

	var u userBody
	if status, raw := e.call("GET", "/v3/users/"+e.aliceID, alice, nil, &u); status != http.StatusOK || u.User.Name != "alice" {
		t.Fatalf("alice shows herself: %d %s", status, raw)
	}
	status, raw = e.call("GET", "/v3/users/"+adminUser.ID, alice, nil, nil)
	wantError(t, "admin as alice", status, raw, http.StatusForbidden)
	status, raw = e.call("GET", "/v3/users/alice", admin, nil, nil)
	wantError(t, "user by name", status, raw, http.StatusNotFound)

	var list struct {
		Projects []projectListItem `json:"projects"`
	}
	if status, raw := e.call("GET", "/v3/users/"+e.aliceID+"/projects", alice, nil, &list); status != http.StatusOK ||
		len(list.Projects) != 1 || list.Projects[0].ID != e.demoID {
		t.Fatalf("alice's projects: %d %s", status, raw)
	}
	status, raw = e.call("GET", "/v3/users/"+adminUser.ID+"/projects", alice, nil, nil)
	wantError(t, "admin's projects as alice", status, raw, http.StatusForbidden)

	// List filters.
	for path, want := range map[string]int{
		"/v3/projects?name=demo":                   1,
		"/v3/projects?name=demo&domain_id=default": 1,
		"/v3/projects?name=demo&domain_id=other":   0,
		"/v3/projects?enabled=false":               0,
		"/v3/projects?enabled=true":                3,
		"/v3/users?name=alice&domain_id=default":   1,
		"/v3/users?name=nobody":                    0,
		"/v3/roles?name=member":                    1,
		"/v3/roles?name=member&domain_id=x":        0,
	} {
		var body map[string]json.RawMessage
		var items []json.RawMessage
		status, raw := e.call("GET", path, admin, nil, &body)
		key := strings.TrimPrefix(path[:strings.Index(path, "?")], "/v3/")
		if status != http.StatusOK || json.Unmarshal(body[key], &items) != nil || len(items) != want {
			t.Errorf("%s: %d %s, want %d", path, status, raw, want)
		}
	}
	status, raw = e.call("GET", "/v3/projects?enabled=maybe", admin, nil, nil)
	wantError(t, "bad enabled filter", status, raw, http.StatusBadRequest)
}

func TestDomains(t *testing.T) {
	e := newEnv(t)
	alice := e.aliceToken(projectScope("demo"))
	for path, want := range map[string]int{
		"/v3/domains":                         1,
		"/v3/domains?name=Default":            1,
		"/v3/domains?name=Other":              0,
		"/v3/domains?enabled=false":           0,
		"/v3/domains?id=default&enabled=true": 1,
	} {
		var body struct {
			Domains []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"domains"`
		}
		status, raw := e.call("GET", path, alice, nil, &body)
		if status != http.StatusOK || len(body.Domains) != want || (want == 1 && body.Domains[0].ID != "default") {
			t.Errorf("%s: %d %s", path, status, raw)
		}
	}
	var d struct {
		Domain struct {
			ID, Name string
			Enabled  bool
		} `json:"domain"`
	}
	if status, raw := e.call("GET", "/v3/domains/default", alice, nil, &d); status != http.StatusOK ||
		d.Domain.Name != "Default" || !d.Domain.Enabled {
		t.Fatalf("show default: %d %s", status, raw)
	}
	status, raw := e.call("GET", "/v3/domains/Default", alice, nil, nil)
	wantError(t, "domain by name", status, raw, http.StatusNotFound)
	status, raw = e.call("GET", "/v3/domains", "", nil, nil)
	wantError(t, "no token", status, raw, http.StatusUnauthorized)
}
