package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTenancyAndPrivileges is the tenancy and privilege acceptance of
// issue 3: another project's container is 404 on every container route,
// all_projects is for admins, names are unique per project, internal
// fields are refused, spoofed identity headers change nothing, privileged
// is denied to everyone, and a tenant's engine container gets no host
// access.
func TestTenancyAndPrivileges(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	alice := a.createMember("tenant-a", "ta", "ta-secret-123")
	bob := a.createMember("tenant-b", "tb", "tb-secret-123")
	pa := a.projectID("tenant-a")

	var mine container
	a.DoAs(alice, "POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "name": "tenant-ctr",
		"command": []string{"sleep", "600"}, "memory": 64}, 202, &mine)
	a.WaitStatus(mine.UUID, 180*time.Second, "Running")
	var actions struct {
		ContainerActions []struct {
			RequestID string `json:"request_id"`
		} `json:"containerActions"`
	}
	a.DoAs(alice, "GET", "/v1/containers/"+mine.UUID+"/container_actions", nil, 200, &actions)
	if len(actions.ContainerActions) == 0 {
		t.Fatal("no actions")
	}
	rid := actions.ContainerActions[0].RequestID

	t.Run("cross-project-404", func(t *testing.T) {
		for _, ref := range []string{mine.UUID, "tenant-ctr"} {
			c := "/v1/containers/" + ref
			for _, r := range []struct {
				method, path, version string
				body                  any
			}{
				{"GET", c, "1.40", nil},
				{"PATCH", c, "1.40", map[string]any{"name": "stolen"}},
				{"PATCH", c, "1.40", map[string]any{"memory": 128}},
				{"DELETE", c, "1.40", nil},
				{"DELETE", c + "?stop=true", "1.40", nil},
				{"DELETE", c + "?all_projects=false", "1.40", nil},
				{"POST", c + "/start", "1.40", nil},
				{"POST", c + "/stop", "1.40", nil},
				{"POST", c + "/reboot", "1.40", nil},
				{"POST", c + "/pause", "1.40", nil},
				{"POST", c + "/unpause", "1.40", nil},
				{"POST", c + "/kill", "1.40", nil},
				{"POST", c + "/rebuild", "1.40", nil},
				{"POST", c + "/rename?name=stolen", "1.13", nil},
				{"GET", c + "/logs", "1.40", nil},
				{"GET", c + "/top", "1.40", nil},
				{"GET", c + "/stats", "1.40", nil},
				{"POST", c + "/execute?command=ls", "1.40", nil},
				{"POST", c + "/resize_container", "1.40", map[string]any{"memory": 128}},
				{"GET", c + "/container_actions", "1.40", nil},
				{"GET", c + "/container_actions/" + rid, "1.40", nil},
			} {
				if st, b := a.doRaw(r.method, r.path, bob, r.version, r.body); st != 404 {
					t.Errorf("other project %s %s: %d %s", r.method, r.path, st, b)
				}
			}
		}
		if c := a.Get(mine.UUID); c.Status != "Running" || c.Name != "tenant-ctr" || c.Memory != "64" {
			t.Errorf("after the other project's attempts: %+v", c)
		}
	})

	t.Run("all-projects-admin-only", func(t *testing.T) {
		st, b := a.doRaw("GET", "/v1/containers?all_projects=true", alice, "1.40", nil)
		if st != 403 || !strings.Contains(errorDetail(b), "container:get_all_all_projects") {
			t.Errorf("member all_projects: %d %s", st, b)
		}
		// On one container too, whether it exists or not.
		for _, r := range []struct{ method, path, rule string }{
			{"GET", "/v1/containers/" + mine.UUID + "?all_projects=true", "container:get_one_all_projects"},
			{"GET", "/v1/containers/no-such?all_projects=1", "container:get_one_all_projects"},
			{"DELETE", "/v1/containers/" + mine.UUID + "?all_projects=true", "container:delete_all_projects"},
		} {
			if st, b := a.doRaw(r.method, r.path, bob, "1.40", nil); st != 403 || !strings.Contains(errorDetail(b), r.rule) {
				t.Errorf("member %s %s: %d %s", r.method, r.path, st, b)
			}
		}
		var c container
		a.Do("GET", "/v1/containers/tenant-ctr?all_projects=true", nil, 200, &c)
		if c.UUID != mine.UUID {
			t.Errorf("admin show all_projects: %+v", c)
		}
		var l struct{ Containers []container }
		a.Do("GET", "/v1/containers?all_projects=true", nil, 200, &l)
		if len(l.Containers) != 1 || l.Containers[0].ProjectID != pa {
			t.Errorf("admin all_projects: %+v", l.Containers)
		}
	})

	t.Run("names-unique-per-project", func(t *testing.T) {
		st, b := a.doRaw("POST", "/v1/containers", alice, "1.40", map[string]any{"image": "busybox:1.35", "name": "tenant-ctr"})
		if st != 409 {
			t.Errorf("same name in the same project: %d %s", st, b)
		}
		var theirs container
		a.DoAs(bob, "POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "name": "tenant-ctr"}, 202, &theirs)
		var other container
		a.DoAs(alice, "POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "name": "second"}, 202, &other)
		if st, b := a.doRaw("PATCH", "/v1/containers/"+other.UUID, alice, "1.40", map[string]any{"name": "tenant-ctr"}); st != 409 {
			t.Errorf("rename onto a used name: %d %s", st, b)
		}
		for _, c := range []struct{ tok, id string }{{bob, theirs.UUID}, {alice, other.UUID}} {
			a.WaitStatus(c.id, 60*time.Second, "Created", "Error")
			a.DoAs(c.tok, "DELETE", "/v1/containers/"+c.id, nil, 204, nil)
			a.WaitGone(c.id, 60*time.Second)
		}
	})

	t.Run("internal-and-host-fields-400", func(t *testing.T) {
		for _, f := range []string{
			`"project_id":"x"`, `"user_id":"x"`, `"status":"Running"`, `"uuid":"00000000-0000-0000-0000-000000000000"`,
			`"task_state":"x"`, `"container_id":"x"`, `"websocket_token":"x"`, `"network_mode":"host"`,
			`"pid_mode":"host"`, `"ipc_mode":"host"`, `"cap_add":["SYS_ADMIN"]`, `"devices":["/dev/sda"]`,
			`"binds":["/:/host"]`, `"volumes":{"/":{}}`, `"security_opt":["seccomp=unconfined"]`, `"host_config":{}`,
		} {
			body := `{"image":"busybox:1.35",` + f + `}`
			if st, b := a.doRaw("POST", "/v1/containers", alice, "1.40", body); st != 400 {
				t.Errorf("create with %s: %d %s", f, st, b)
			}
		}
		// host is a create field only from 1.39, and only for admins.
		if st, b := a.doRaw("POST", "/v1/containers", alice, "1.38", `{"image":"busybox:1.35","host":"x"}`); st != 400 {
			t.Errorf("host at 1.38: %d %s", st, b)
		}
		if st, b := a.doRaw("POST", "/v1/containers", alice, "1.40", `{"image":"busybox:1.35","host":"x"}`); st != 403 {
			t.Errorf("host as a member: %d %s", st, b)
		}
		for _, f := range []string{`"project_id":"x"`, `"status":"Stopped"`, `"host":"x"`, `"privileged":true`} {
			if st, b := a.doRaw("PATCH", "/v1/containers/"+mine.UUID, alice, "1.40", "{"+f+"}"); st != 400 {
				t.Errorf("update with %s: %d %s", f, st, b)
			}
		}
	})

	t.Run("privileged-denied", func(t *testing.T) {
		for who, tok := range map[string]string{"member": alice, "admin": a.admin} {
			st, b := a.doRaw("POST", "/v1/containers", tok, "1.40", `{"image":"busybox:1.35","privileged":true}`)
			if st != 403 || !strings.Contains(errorDetail(b), "container:create:privileged") {
				t.Errorf("%s privileged: %d %s", who, st, b)
			}
		}
	})

	t.Run("spoofed-identity-headers", func(t *testing.T) {
		spoof := map[string]string{
			"X-Roles": "admin", "X-Role": "admin", "X-Project-Id": "admin", "X-Tenant-Id": "admin",
			"X-User-Id": "admin", "X-Identity-Status": "Confirmed", "X-Is-Admin": "true",
		}
		send := func(method, path, tok string, body string) (int, []byte) {
			req, _ := http.NewRequest(method, a.URL+path, strings.NewReader(body))
			for k, v := range spoof {
				req.Header.Set(k, v)
			}
			if tok != "" {
				req.Header.Set("X-Auth-Token", tok)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("OpenStack-API-Version", "container 1.40")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		if st, _ := send("GET", "/v1/containers", "", ""); st != 401 {
			t.Errorf("headers without a token: %d", st)
		}
		if st, b := send("GET", "/v1/hosts", bob, ""); st != 403 {
			t.Errorf("member with X-Roles admin lists hosts: %d %s", st, b)
		}
		if st, b := send("GET", "/v1/containers?all_projects=true", bob, ""); st != 403 {
			t.Errorf("member with X-Roles admin lists all projects: %d %s", st, b)
		}
		if st, b := send("GET", "/v1/containers/"+mine.UUID, bob, ""); st != 404 {
			t.Errorf("member with spoofed project shows another's container: %d %s", st, b)
		}
		st, b := send("POST", "/v1/containers", bob, `{"image":"busybox:1.35","name":"spoofed"}`)
		if st != 202 {
			t.Fatalf("create with spoofed headers: %d %s", st, b)
		}
		var c container
		_ = json.Unmarshal(b, &c)
		if c.ProjectID != a.projectID("tenant-b") {
			t.Errorf("container of the spoofed create belongs to %q", c.ProjectID)
		}
		a.WaitStatus(c.UUID, 60*time.Second, "Created", "Error")
		a.DoAs(bob, "DELETE", "/v1/containers/"+c.UUID, nil, 204, nil)
		a.WaitGone(c.UUID, 60*time.Second)
	})

	t.Run("engine-sandbox", func(t *testing.T) {
		out := docker(t, "inspect", "-f",
			"{{.HostConfig.Privileged}}|{{.HostConfig.NetworkMode}}|{{.HostConfig.PidMode}}|{{.HostConfig.IpcMode}}|{{.HostConfig.UTSMode}}|"+
				"{{.HostConfig.CgroupnsMode}}|{{len .HostConfig.Binds}}|{{len .HostConfig.CapAdd}}|{{len .HostConfig.Devices}}|{{len .Mounts}}|{{.HostConfig.SecurityOpt}}",
			"zun-"+mine.UUID)
		f := strings.Split(strings.TrimSpace(out), "|")
		if len(f) != 11 {
			t.Fatalf("docker inspect: %q", out)
		}
		if f[0] != "false" || f[1] == "host" || f[2] == "host" || f[3] == "host" || f[4] == "host" || f[5] != "private" ||
			f[6] != "0" || f[7] != "0" || f[8] != "0" || f[9] != "0" || !strings.Contains(f[10], "no-new-privileges:true") {
			t.Errorf("tenant container's host config: %q", out)
		}
	})

	a.DoAs(alice, "DELETE", "/v1/containers/"+mine.UUID+"?stop=true", nil, 204, nil)
	a.WaitGone(mine.UUID, 60*time.Second)
}
