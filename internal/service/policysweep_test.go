package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/apiserver"
	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/container/fake"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/zunctx"
)

// The role sweep: every route of the API table, called by an admin, a
// member and a reader of the project owning the objects, a member of
// another project and an anonymous caller, against a real in-process
// server (SQLite, embedded NATS, a compute agent over the fake driver,
// users made through the Keystone API). The expected answer is derived
// from the policy engine itself, so routes added later are swept too:
//
//   - anonymous: 401 on every non-public route;
//   - the rule allows the caller: neither 401 nor 403 (nor 404 on an
//     object of its own project);
//   - the rule denies: 403, or 404 when the object belongs to another
//     project and the caller is not an admin: its existence must not be
//     revealed.
//
// A route whose path names an object without a fixture here gets a random
// id; a denied caller may then get 403 or 404.

// sweepRequests gives routes the query or body a valid request needs, so
// the answer is the policy's and not the input check's. Other routes get
// no query and an empty JSON object.
var sweepRequests = map[string]struct{ query, body string }{
	"POST /v1/containers":                             {"", `{"image":"busybox:1.35","command":["sleep","600"]}`},
	"PATCH /v1/containers/{id}":                       {"", `{"name":"renamed-%s"}`},
	"DELETE /v1/containers/{id}":                      {"stop=true", ""},
	"POST /v1/containers/{id}/rename":                 {"name=renamed-%s", ""},
	"POST /v1/containers/{id}/execute":                {"command=ls", ""},
	"POST /v1/containers/{id}/resize_container":       {"", `{"memory":"256"}`},
	"DELETE /v1/services":                             {"host=nohost&binary=zun-compute", ""},
	"PUT /v1/services/enable":                         {"host=nohost&binary=zun-compute", ""},
	"PUT /v1/services/disable":                        {"host=nohost&binary=zun-compute", ""},
	"PUT /v1/services/force_down":                     {"host=nohost&binary=zun-compute&forced_down=true", ""},
	"GET /v1/containers/{id}/container_actions/{rid}": {"", ""},
	"POST /v1/containers/{id}/resize":                 {"h=24&w=80", ""},
	"POST /v1/containers/{id}/execute_resize":         {"exec_id=" + strings.Repeat("ab", 32) + "&h=24&w=80", ""},
	"POST /v1/containers/{id}/commit":                 {"repository=sweep-image&tag=t", ""},
	"GET /v1/containers/{id}/get_archive":             {"path=/", ""},
	"POST /v1/containers/{id}/put_archive":            {"path=/", `{"data":"aGVsbG8="}`},
}

// subObject404 are routes naming a second object besides the container
// (an exec of the sweep's fixture does not exist): an allowed caller may
// get 404 for that one.
var subObject404 = map[string]bool{
	"POST /v1/containers/{id}/execute_resize": true,
	"GET /v1/containers/{id}/get_archive":     true, // a path of the fake driver's container
}

type persona struct {
	name  string
	token string
	id    zunctx.Identity
}

type sweepEnv struct {
	t        *testing.T
	url      string
	api      *API
	admin    persona
	personas []persona // anonymous last
	demo     string    // project owning the fixtures
	owner    persona   // member of demo
	creator  persona   // admin of demo creating fixtures under any policy
	seq      atomic.Int64
	// codeUsers are users of demo (neither admin) that the rule-codes
	// policy tells apart; codeSweep adds those not already personas.
	codeUsers []persona
	codeSweep bool
	stop      func()
}

// populate makes the projects and users of the sweep.
func (e *sweepEnv) populate(codeUsers int) {
	e.demo = e.project("demo")
	other := e.project("other")
	e.owner = e.user("alice", e.demo, "member")
	reader := e.user("rita", e.demo, "reader")
	stranger := e.user("bob", other, "member")
	e.creator = e.user("carol", e.demo, "admin")
	e.personas = []persona{e.admin, e.owner, reader, stranger, {name: "anonymous"}}
	// The owner and the reader are the first code users (each user costs
	// two slow password hashes).
	e.codeUsers = []persona{e.owner, reader}
	for i := 2; i < codeUsers; i++ {
		e.codeUsers = append(e.codeUsers, e.user(fmt.Sprintf("code-user-%d", i), e.demo, "member"))
	}
}

// serveSweep starts the server on dir. With prev (served before on the
// same directory) it takes prev's projects and users, whose tokens stay
// valid (same signing key and records); else it logs the admin in.
func serveSweep(t *testing.T, dir, policyFile string, prev *sweepEnv) *sweepEnv {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	cfg := config.Default()
	cfg.AllInOne = true
	cfg.DataDir = dir
	cfg.Driver = "fake"
	cfg.Host = "sweephost"
	cfg.SyncInterval = time.Hour
	cfg.PublicURL = "http://" + ts.Listener.Addr().String()
	cfg.AdminPassword = "secret-admin-pw"
	cfg.PolicyFile = policyFile
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := BuildAPI(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// The sweep makes more fixtures than the default quota allows.
	unlimited := model.QuotaLimits{model.QuotaContainers: model.Unlimited, model.QuotaCPU: model.Unlimited,
		model.QuotaMemory: model.Unlimited, model.QuotaDisk: model.Unlimited}
	if err := a.Store.Quotas().SetClassLimits(zunctx.System(ctx), model.DefaultQuotaClass, unlimited); err != nil {
		cancel()
		t.Fatal(err)
	}
	ts.Config.Handler = a.Handler
	ts.Start()
	done := make(chan struct{})
	// A host large enough for every fixture of the sweep.
	drv := fake.New(fake.Options{CPUs: 512, MemTotal: 1 << 22})
	go func() { defer close(done); _ = RunAgentWith(ctx, cfg, a.Bus, drv, log) }()
	var once sync.Once
	e := &sweepEnv{t: t, url: ts.URL, api: a}
	e.stop = func() { once.Do(func() { cancel(); <-done; ts.Close(); a.Close() }) }
	t.Cleanup(e.stop)
	if prev != nil {
		e.admin, e.demo, e.owner, e.creator = prev.admin, prev.demo, prev.owner, prev.creator
		e.personas, e.codeUsers = prev.personas, prev.codeUsers
		e.seq.Store(prev.seq.Load())
	} else {
		e.admin = e.auth("admin", "secret-admin-pw", `"name":"admin","domain":{"name":"Default"}`)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var l struct{ Hosts []any }
		if st, b := e.call(e.admin, "GET", "/v1/hosts", "", "", 40); st == 200 && json.Unmarshal(b, &l) == nil && len(l.Hosts) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the compute agent did not register")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return e
}

func (e *sweepEnv) call(p persona, method, path, query, body string, minor int) (int, []byte) {
	e.t.Helper()
	if query != "" {
		path += "?" + query
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.token != "" {
		req.Header.Set("X-Auth-Token", p.token)
	}
	req.Header.Set("OpenStack-API-Version", fmt.Sprintf("container 1.%d", minor))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// keystone calls the identity API as admin and decodes the answer.
func (e *sweepEnv) keystone(method, path string, body any, want int, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.url+"/identity/v3"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", e.admin.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *sweepEnv) project(name string) string {
	e.t.Helper()
	var p struct{ Project struct{ ID string } }
	e.keystone("POST", "/projects", map[string]any{"project": map[string]any{"name": name, "domain_id": "default"}}, 201, &p)
	return p.Project.ID
}

// user creates a user with role on project and logs it in.
func (e *sweepEnv) user(name, project, role string) persona {
	e.t.Helper()
	var u struct{ User struct{ ID string } }
	pw := name + "-password-1"
	e.keystone("POST", "/users", map[string]any{"user": map[string]any{"name": name, "domain_id": "default", "password": pw}}, 201, &u)
	var roles struct{ Roles []struct{ ID string } }
	e.keystone("GET", "/roles?name="+role, nil, 200, &roles)
	if len(roles.Roles) != 1 {
		e.t.Fatalf("role %s: %+v", role, roles)
	}
	e.keystone("PUT", "/projects/"+project+"/users/"+u.User.ID+"/roles/"+roles.Roles[0].ID, nil, 204, nil)
	return e.loginID(name, pw, project)
}

func (e *sweepEnv) loginID(user, pw, projectID string) persona {
	e.t.Helper()
	return e.auth(user, pw, `"id":`+jsonString(projectID))
}

func (e *sweepEnv) auth(user, pw, scope string) persona {
	e.t.Helper()
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":` + jsonString(user) +
		`,"domain":{"name":"Default"},"password":` + jsonString(pw) + `}}},"scope":{"project":{` + scope + `}}}}`
	resp, err := http.Post(e.url+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		e.t.Fatalf("login %s: %d %s", user, resp.StatusCode, b)
	}
	tok := resp.Header.Get("X-Subject-Token")
	id, _, err := e.api.Identity.Validate(context.Background(), tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return persona{name: user + "(" + strings.Join(id.Roles, ",") + ")", token: tok, id: id}
}

func jsonString(s string) string { j, _ := json.Marshal(s); return string(j) }

// container creates a running container of the demo project.
func (e *sweepEnv) container() string {
	e.t.Helper()
	body := fmt.Sprintf(`{"image":"busybox:1.35","command":["sleep","600"],"name":"fixture-%d","cpu":0.1,"memory":16}`, e.seq.Add(1))
	st, b := e.call(e.creator, "POST", "/v1/containers", "run=true", body, 40)
	var c struct {
		UUID, Status string
		Reason       *string `json:"status_reason"`
	}
	if st != 202 || json.Unmarshal(b, &c) != nil {
		e.t.Fatalf("fixture container: %d %s", st, b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Status != "Running" {
		if time.Now().After(deadline) {
			e.t.Fatalf("fixture container %s: %s %v", c.UUID, c.Status, *c.Reason)
		}
		time.Sleep(10 * time.Millisecond)
		_, b = e.call(e.creator, "GET", "/v1/containers/"+c.UUID, "", "", 40)
		_ = json.Unmarshal(b, &c)
	}
	return c.UUID
}

// requestID returns the request id of the container's create action.
func (e *sweepEnv) requestID(uuid string) string {
	e.t.Helper()
	st, b := e.call(e.admin, "GET", "/v1/containers/"+uuid+"/container_actions", "", "", 40)
	var l struct {
		ContainerActions []struct {
			RequestID string `json:"request_id"`
		} `json:"containerActions"`
	}
	if st != 200 || json.Unmarshal(b, &l) != nil || len(l.ContainerActions) == 0 {
		e.t.Fatalf("actions of %s: %d %s", uuid, st, b)
	}
	return l.ContainerActions[0].RequestID
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// target is what a route's rule is checked against for a caller.
type target struct {
	policy.Target
	// project is the project owning the object of the path ("" when the
	// route names no object of a project); known is false when the object
	// is a random id without fixture.
	project string
	known   bool
}

// resolve fills the path parameters of r with fixtures for caller p.
func (e *sweepEnv) resolve(r apiserver.RouteInfo, p persona, fixture func() string) (string, target) {
	e.t.Helper()
	tg := target{Target: policy.Target{ProjectID: p.id.ProjectID, UserID: p.id.UserID}, known: true}
	var ctr string
	path := pathParam.ReplaceAllStringFunc(r.Path, func(m string) string {
		switch name := m[1 : len(m)-1]; {
		case name == "id" && strings.HasPrefix(r.Path, "/v1/containers/"):
			ctr = fixture()
			tg.Target = policy.Target{ProjectID: e.demo, UserID: e.creator.id.UserID}
			tg.project = e.demo
			return ctr
		case name == "rid":
			return e.requestID(ctr)
		case name == "id" && strings.HasPrefix(r.Path, "/v1/hosts/"):
			return "sweephost"
		case name == "project_id":
			// A project's quota is not an object looked up in the
			// caller's scope: the rule alone decides, so a denial is
			// 403 whether the project exists or not.
			tg.Target = policy.Target{ProjectID: e.demo}
			return e.demo
		default:
			tg.known = false
			return uuid.NewString()
		}
	})
	path = strings.TrimSuffix(path, "{$}")
	return path, tg
}

func (e *sweepEnv) sweep() {
	t := e.t
	routes := e.api.routesForTest()
	shared := e.container()
	swept := 0
	for _, r := range routes {
		minor := 40
		if r.MaxVer > 0 {
			minor = r.MaxVer
		}
		key := r.Method + " " + r.Path
		req := sweepRequests[key]
		if req.body == "" && (r.Method == "POST" || r.Method == "PATCH" || r.Method == "PUT") && !strings.Contains(req.query, "=") {
			req.body = "{}"
		}
		personas := e.personas
		if e.codeSweep {
			personas = append(personas[:len(personas):len(personas)], e.codeUsers[2:]...)
		}
		// A mutating call that succeeded may have changed (stopped,
		// deleted) its container: the next caller gets a fresh one.
		var ctr string
		fixture := func() string {
			if r.Method == "GET" {
				return shared
			}
			if ctr == "" {
				ctr = e.container()
			}
			return ctr
		}
		for _, p := range personas {
			path, tg := e.resolve(r, p, fixture)
			n := fmt.Sprint(e.seq.Add(1))
			query, body := strings.ReplaceAll(req.query, "%s", n), strings.ReplaceAll(req.body, "%s", n)
			// An anonymous caller or another project's must leave the
			// object as it was (the cost of two more calls each is kept
			// to these, the cross-tenant cases).
			var before string
			cur := ctr
			outsider := p.token == "" || (tg.project != "" && tg.project != p.id.ProjectID && !p.id.IsAdmin())
			if outsider && !r.Public && r.Method != "GET" && cur != "" {
				before = e.snapshot(cur)
			}
			st, b := e.call(p, r.Method, path, query, body, minor)
			if st/100 == 2 {
				ctr = ""
			}
			if before != "" {
				if after := e.snapshot(cur); after != before {
					t.Errorf("%s %s as %s (%d) changed the container: %s -> %s", r.Method, r.Path, p.name, st, before, after)
				}
			}
			what := fmt.Sprintf("%s as %s: %d %s", key, p.name, st, truncate(b))
			if r.Public {
				if st == 401 || st == 403 {
					t.Errorf("public %s", what)
				}
				continue
			}
			swept++
			if p.token == "" {
				if st != 401 {
					t.Errorf("%s, want 401", what)
				}
				continue
			}
			ownProject := tg.project == "" || tg.project == p.id.ProjectID
			switch allowed := e.api.Policy.AllowedFor(&p.id, r.Policy, &tg.Target); {
			case allowed:
				if st == 401 || st == 403 {
					t.Errorf("%s; %s allows it", what, r.Policy)
				}
				if tg.project != "" && tg.known && (ownProject || p.id.IsAdmin()) && st == 404 && !subObject404[key] {
					t.Errorf("%s; %s allows it on an existing object", what, r.Policy)
				}
			case !tg.known:
				if st != 403 && st != 404 {
					t.Errorf("%s, want 403 or 404 (%s denies)", what, r.Policy)
				}
			case !ownProject && !p.id.IsAdmin():
				// Only admins see other projects' objects (apiserver's
				// lookupCtx); to anyone else they do not exist.
				if st != 404 {
					t.Errorf("%s, want 404: another project's object (%s denies)", what, r.Policy)
				}
			default:
				if st != 403 {
					t.Errorf("%s, want 403 (%s denies)", what, r.Policy)
				}
			}
		}
	}
	if swept < 4*len(e.personas) {
		t.Fatalf("only %d calls swept", swept)
	}
}

// snapshot is what a call may change of a container, as its creator sees
// it: the fields PATCH and rename set, and the actions recorded (every
// accepted operation records one). The status is left out: the agent may
// still be settling it.
func (e *sweepEnv) snapshot(uuid string) string {
	e.t.Helper()
	st, b := e.call(e.creator, "GET", "/v1/containers/"+uuid, "", "", 40)
	var c struct {
		Name, Memory string
		CPU          float64
	}
	if st != 200 || json.Unmarshal(b, &c) != nil {
		return fmt.Sprintf("GET %d %s", st, truncate(b))
	}
	st, b = e.call(e.creator, "GET", "/v1/containers/"+uuid+"/container_actions", "", "", 40)
	var l struct {
		ContainerActions []struct{ Action string } `json:"containerActions"`
	}
	if st != 200 || json.Unmarshal(b, &l) != nil {
		return fmt.Sprintf("actions %d %s", st, truncate(b))
	}
	return fmt.Sprintf("name=%s cpu=%v memory=%s actions=%v", c.Name, c.CPU, c.Memory, l.ContainerActions)
}

// routesForTest is the route table of the API (it does not depend on the
// server's collaborators).
func (*API) routesForTest() []apiserver.RouteInfo {
	return apiserver.New(apiserver.Config{}, apiserver.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Routes()
}

func truncate(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// TestRoleSweep sweeps the routes under several policies, restarting the
// server on the same data directory (users are made once: password hashing
// is slow, under the race detector above all).
func TestRoleSweep(t *testing.T) {
	dir := t.TempDir()
	routes := (*API)(nil).routesForTest()
	var rules []string
	for _, r := range routes {
		if r.Policy != "" && !slices.Contains(rules, r.Policy) {
			rules = append(rules, r.Policy)
		}
	}
	// Rule i is allowed to the code users whose bit is set in i+1: any two
	// rules differ for some user, so a handler checking another rule than
	// its route's is caught.
	codeUsers := bits.Len(uint(len(rules)))
	e := serveSweep(t, dir, "", nil)
	e.populate(codeUsers)

	var adminOnly, coded strings.Builder
	for i, rule := range rules {
		fmt.Fprintf(&adminOnly, "%q: rule:admin_api\n", rule)
		check := "role:admin"
		for u, p := range e.codeUsers {
			if (i+1)&(1<<u) != 0 {
				check += " or user_id:" + p.id.UserID
			}
		}
		fmt.Fprintf(&coded, "%q: %q\n", rule, check)
	}
	policies := []struct{ name, doc, file string }{
		{"defaults", "Zun's defaults", ""},
		{"admin-only", "every route's rule admin-only: members get 403 on their own objects, 404 on others'", adminOnly.String()},
		{"mixed", "readers apart from members, admin routes opened to members", `
admin_or_owner: "is_admin:True or (role:member and project_id:%(project_id)s)"
"container:get_one": "rule:admin_or_owner or (role:reader and project_id:%(project_id)s)"
"container:logs": "role:reader and project_id:%(project_id)s"
"container:get_all": "rule:admin_api"
"host:get_all": "role:member"
"availability_zones:get_all": "!"
`},
		{"rule-codes", "each handler checks its own route's rule", coded.String()},
	}
	for i, pc := range policies {
		t.Run(pc.name, func(t *testing.T) {
			if i > 0 {
				prev := e
				prev.stop()
				e = serveSweep(t, dir, writePolicy(t, pc.file), prev)
			}
			e.t = t
			e.codeSweep = pc.name == "rule-codes"
			e.sweep()
		})
	}
}

func writePolicy(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
