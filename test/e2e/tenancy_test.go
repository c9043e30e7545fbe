package e2e

import (
	"strings"
	"testing"
	"time"
)

// createMember makes a project and a member user in it through the
// Keystone admin API and returns the user's token.
func (a *aio) createMember(project, user, password string) string {
	a.t.Helper()
	var p struct{ Project struct{ ID string } }
	a.rawJSON("POST", "/identity/v3/projects", map[string]any{"project": map[string]any{"name": project, "domain_id": "default"}}, 201, &p)
	var u struct{ User struct{ ID string } }
	a.rawJSON("POST", "/identity/v3/users", map[string]any{"user": map[string]any{"name": user, "domain_id": "default", "password": password, "default_project_id": p.Project.ID}}, 201, &u)
	var roles struct{ Roles []struct{ ID, Name string } }
	a.rawJSON("GET", "/identity/v3/roles?name=member", nil, 200, &roles)
	a.rawJSON("PUT", "/identity/v3/projects/"+p.Project.ID+"/users/"+u.User.ID+"/roles/"+roles.Roles[0].ID, nil, 204, nil)
	return a.Token(user, password, project)
}

func (a *aio) rawJSON(method, path string, body any, want int, out any) {
	a.t.Helper()
	a.DoAs(a.admin, method, path, body, want, out)
}

// TestProjectIsolation: another project's containers are invisible (404,
// never 403) to every verb, admins see everything with all_projects, and
// non-admins cannot ask for all projects.
func TestProjectIsolation(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	alice := a.createMember("demo", "alice", "alice-secret-1")
	bob := a.createMember("other", "bob", "bob-secret-12")

	var mine container
	a.DoAs(alice, "POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "name": "alices"}, 202, &mine)
	a.WaitStatus(mine.UUID, 60*time.Second, "Running")
	// Admin-only fields are hidden from members.
	st, body := a.doRaw("GET", "/v1/containers/"+mine.UUID, alice, "1.40", nil)
	if st != 200 || strings.Contains(string(body), `"host"`) || strings.Contains(string(body), `"privileged"`) {
		t.Errorf("member view: %d %s", st, body)
	}

	for _, ref := range []string{mine.UUID, "alices"} {
		for _, req := range []struct{ method, path string }{
			{"GET", "/v1/containers/" + ref},
			{"PATCH", "/v1/containers/" + ref},
			{"DELETE", "/v1/containers/" + ref + "?stop=true"},
			{"POST", "/v1/containers/" + ref + "/stop"},
			{"POST", "/v1/containers/" + ref + "/kill"},
			{"POST", "/v1/containers/" + ref + "/execute?command=ls"},
			{"GET", "/v1/containers/" + ref + "/logs"},
			{"GET", "/v1/containers/" + ref + "/top"},
			{"GET", "/v1/containers/" + ref + "/stats"},
			{"GET", "/v1/containers/" + ref + "/container_actions"},
		} {
			var b any
			if req.method == "PATCH" {
				b = map[string]any{"name": "stolen"}
			}
			if st, body := a.doRaw(req.method, req.path, bob, "1.40", b); st != 404 {
				t.Errorf("bob %s %s: %d %s", req.method, req.path, st, body)
			}
		}
	}
	var l struct{ Containers []container }
	a.DoAs(bob, "GET", "/v1/containers", nil, 200, &l)
	if len(l.Containers) != 0 {
		t.Errorf("bob lists %d containers", len(l.Containers))
	}
	if st, _ := a.doRaw("GET", "/v1/containers?all_projects=true", bob, "1.40", nil); st != 403 {
		t.Errorf("member all_projects: %d", st)
	}
	if st, _ := a.doRaw("GET", "/v1/hosts", bob, "1.40", nil); st != 403 {
		t.Errorf("member hosts: %d", st)
	}
	// Admin sees it across projects and its view has the admin fields.
	a.Do("GET", "/v1/containers?all_projects=true", nil, 200, &l)
	found := false
	for _, c := range l.Containers {
		found = found || c.UUID == mine.UUID
	}
	if !found {
		t.Error("admin all_projects list misses alice's container")
	}
	if c := a.Get(mine.UUID); c.Host == nil || c.ProjectID == "" {
		t.Errorf("admin view: %+v", c)
	}
	// Alice's container still runs untouched.
	if c := a.Get(mine.UUID); c.Status != "Running" || c.Name != "alices" {
		t.Errorf("after bob's attempts: %+v", c)
	}
	a.DoAs(alice, "DELETE", "/v1/containers/alices?stop=true", nil, 204, nil)
	a.WaitGone(mine.UUID, 60*time.Second)
}
