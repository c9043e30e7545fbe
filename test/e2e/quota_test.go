package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// projectID returns the ID of the project named name (admin call).
func (a *aio) projectID(name string) string {
	a.t.Helper()
	var l struct {
		Projects []struct{ ID, Name string }
	}
	a.rawJSON("GET", "/identity/v3/projects", nil, 200, &l)
	for _, p := range l.Projects {
		if p.Name == name {
			return p.ID
		}
	}
	a.t.Fatalf("no project %s", name)
	return ""
}

type quotaUsage struct {
	Limit int64   `json:"limit"`
	InUse float64 `json:"in_use"`
}

type quotaUsages struct {
	Containers quotaUsage `json:"containers"`
	CPU        quotaUsage `json:"cpu"`
	Disk       quotaUsage `json:"disk"`
	Memory     quotaUsage `json:"memory"`
}

// errorDetail returns the detail of Zun's error envelope.
func errorDetail(b []byte) string {
	var env struct {
		Errors []struct{ Detail string } `json:"errors"`
	}
	if json.Unmarshal(b, &env) != nil || len(env.Errors) == 0 {
		return ""
	}
	return env.Errors[0].Detail
}

// TestQuotaRace is the acceptance of issue 3: with a quota of 5
// containers, 50 parallel creates give exactly 5 containers and 45 quota
// errors; with a memory quota, parallel raises give only what fits. Usage
// never passes a limit and is exactly zero once everything is deleted.
func TestQuotaRace(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	tok := a.createMember("quota-race", "qalice", "qalice-secret-1")
	pid := a.projectID("quota-race")
	a.Do("PUT", "/v1/quotas/"+pid, map[string]any{"containers": 5}, 200, nil)

	const n = 50
	type result struct {
		status int
		body   []byte
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			st, b := a.doRaw("POST", "/v1/containers", tok, "1.40",
				map[string]any{"image": "busybox:1.35", "name": fmt.Sprintf("q%02d", i), "memory": 64, "cpu": 0.1})
			results[i] = result{st, b}
		})
	}
	wg.Wait()
	var created []string
	for i, r := range results {
		switch r.status {
		case 202:
			var c container
			if err := json.Unmarshal(r.body, &c); err != nil {
				t.Fatal(err)
			}
			created = append(created, c.UUID)
		case 403:
			if d := errorDetail(r.body); d != "Quota exceeded for resources: ['containers']" {
				t.Errorf("create %d: 403 %s", i, r.body)
			}
		default:
			t.Errorf("create %d: %d %s", i, r.status, r.body)
		}
	}
	if len(created) != 5 {
		t.Fatalf("%d creates succeeded, want exactly 5", len(created))
	}
	var u quotaUsages
	a.DoAs(tok, "GET", "/v1/quotas/"+pid+"?usages=true", nil, 200, &u)
	if u.Containers != (quotaUsage{5, 5}) || u.Memory.InUse != 5*64 || u.CPU.InUse != 0.5 {
		t.Errorf("usage after the burst: %+v", u)
	}
	for _, id := range created {
		a.WaitStatus(id, 180*time.Second, "Created")
	}

	// Memory: 1000 MiB; 10 containers of 64 MiB (640) need room for 5
	// more containers first. One raise to 256 (+192) fits, two do not.
	a.Do("PUT", "/v1/quotas/"+pid, map[string]any{"containers": 10, "memory": 1000}, 200, nil)
	for i := range 5 {
		var c container
		a.DoAs(tok, "POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "name": fmt.Sprintf("m%02d", i), "memory": 64, "cpu": 0.1}, 202, &c)
		created = append(created, c.UUID)
		a.WaitStatus(c.UUID, 180*time.Second, "Created")
	}
	statuses := make([]int, len(created))
	bodies := make([][]byte, len(created))
	for i, id := range created {
		wg.Go(func() {
			statuses[i], bodies[i] = a.doRaw("PATCH", "/v1/containers/"+id, tok, "1.40", map[string]any{"memory": 256})
		})
	}
	wg.Wait()
	grown := 0
	for i, st := range statuses {
		switch {
		case st == 200:
			grown++
		case st == 403 && errorDetail(bodies[i]) == "Quota exceeded for resources: ['memory']":
		default:
			t.Errorf("update %d: %d %s", i, st, bodies[i])
		}
	}
	a.DoAs(tok, "GET", "/v1/quotas/"+pid+"?usages=true", nil, 200, &u)
	if grown != 1 || u.Memory.InUse != 640+192 || u.Memory.Limit != 1000 {
		t.Errorf("%d raises succeeded (want 1); memory usage %+v", grown, u.Memory)
	}
	// The engine has what the record says.
	mem := map[string]int{}
	for _, id := range created {
		mem[strings.TrimSpace(docker(t, "inspect", "-f", "{{.HostConfig.Memory}}", "zun-"+id))]++
	}
	if mem[fmt.Sprint(256<<20)] != 1 || mem[fmt.Sprint(64<<20)] != 9 {
		t.Errorf("engine memory limits %v", mem)
	}

	for _, id := range created {
		a.DoAs(tok, "DELETE", "/v1/containers/"+id, nil, 204, nil)
	}
	for _, id := range created {
		a.WaitGone(id, 60*time.Second)
	}
	a.DoAs(tok, "GET", "/v1/quotas/"+pid+"?usages=true", nil, 200, &u)
	if u.Containers.InUse != 0 || u.CPU.InUse != 0 || u.Memory.InUse != 0 || u.Disk.InUse != 0 {
		t.Errorf("usage after deleting everything: %+v", u)
	}
}

// TestQuotaAPI checks the quota calls' policy, validation and defaults
// resolution, then drives them with python-zunclient, the OpenStack client
// and our CLI.
func TestQuotaAPI(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	alice := a.createMember("quota-a", "qa", "qa-secret-123")
	bob := a.createMember("quota-b", "qb", "qb-secret-123")
	pa, pb := a.projectID("quota-a"), a.projectID("quota-b")

	defaults := map[string]int64{"containers": 40, "cpu": 20, "disk": 100, "memory": 51200}
	var q map[string]int64
	a.DoAs(alice, "GET", "/v1/quotas/"+pa, nil, 200, &q)
	if fmt.Sprint(q) != fmt.Sprint(defaults) {
		t.Errorf("member's own quota %v", q)
	}
	// Another project, existing or not, is refused alike.
	for _, p := range []string{pb, "no-such-project"} {
		for _, path := range []string{"/v1/quotas/" + p, "/v1/quotas/" + p + "?usages=true", "/v1/quotas/" + p + "/defaults"} {
			if st, b := a.doRaw("GET", path, alice, "1.40", nil); st != 403 {
				t.Errorf("alice GET %s: %d %s", path, st, b)
			}
		}
	}
	for _, r := range []struct{ method, path string }{
		{"PUT", "/v1/quotas/" + pa}, {"DELETE", "/v1/quotas/" + pa},
		{"PUT", "/v1/quota_classes/default"}, {"GET", "/v1/quota_classes/default"},
	} {
		if st, b := a.doRaw(r.method, r.path, alice, "1.40", map[string]any{"containers": 100}); st != 403 {
			t.Errorf("member %s %s: %d %s", r.method, r.path, st, b)
		}
	}
	if st, _ := a.doRaw("GET", "/v1/quotas/"+pa, "", "1.40", nil); st != 401 {
		t.Errorf("no token: %d", st)
	}
	if st, _ := a.doRaw("GET", "/v1/quotas/"+pa, a.admin, "1.25", nil); st != 404 {
		t.Errorf("at 1.25: %d", st)
	}

	for _, body := range []string{
		`{"bogus":1}`, `{"containers":"x"}`, `{"containers":-2}`, `{"containers":1.5}`, `{"containers":99999999999}`,
		`{"containers":null}`, `{"containers":true}`, `{"cpu":[1]}`, `[1]`, `{"memory":"1e3"}`,
	} {
		st, b := a.doRaw("PUT", "/v1/quotas/"+pa, a.admin, "1.40", body)
		if st != 400 || errorDetail(b) == "" {
			t.Errorf("PUT %s: %d %s", body, st, b)
		}
	}
	a.Do("PUT", "/v1/quotas/"+pa, map[string]any{"containers": "7", "memory": -1}, 200, &q)
	if q["containers"] != 7 || q["memory"] != -1 || q["cpu"] != 20 {
		t.Errorf("after PUT: %v", q)
	}
	// The default class replaces the built-in defaults for projects
	// without an override, and for the defaults call.
	a.Do("PUT", "/v1/quota_classes/default", map[string]any{"cpu": 8}, 200, &q)
	if q["cpu"] != 8 || q["containers"] != 40 {
		t.Errorf("class after PUT: %v", q)
	}
	a.DoAs(bob, "GET", "/v1/quotas/"+pb+"/defaults", nil, 200, &q)
	if q["cpu"] != 8 {
		t.Errorf("defaults: %v", q)
	}
	a.DoAs(alice, "GET", "/v1/quotas/"+pa, nil, 200, &q)
	if q["cpu"] != 8 || q["containers"] != 7 {
		t.Errorf("alice after class change: %v", q)
	}
	// A create beyond cpu is refused with nothing created.
	st, b := a.doRaw("POST", "/v1/containers", alice, "1.40", map[string]any{"image": "busybox:1.35", "name": "big", "cpu": 9})
	if st != 403 || errorDetail(b) != "Quota exceeded for resources: ['cpu']" {
		t.Errorf("create beyond cpu: %d %s", st, b)
	}
	var l struct{ Containers []container }
	a.DoAs(alice, "GET", "/v1/containers", nil, 200, &l)
	if len(l.Containers) != 0 {
		t.Errorf("refused create left %d containers", len(l.Containers))
	}
	a.Do("DELETE", "/v1/quotas/"+pa, nil, 204, nil)
	a.DoAs(alice, "GET", "/v1/quotas/"+pa, nil, 200, &q)
	if q["containers"] != 40 || q["cpu"] != 8 || q["memory"] != 51200 {
		t.Errorf("after DELETE: %v", q)
	}

	env := a.openrcEnv()
	t.Run("python-zunclient", func(t *testing.T) {
		requireTool(t, "zun")
		out := a.cli(env, "zun", "quota-update", "--containers", "12", "--memory", "2048", pb)
		if !tableHas(out, "containers", "12") || !tableHas(out, "memory", "2048") {
			t.Errorf("quota-update:\n%s", out)
		}
		out = a.cli(env, "zun", "quota-get", pb)
		if !tableHas(out, "containers", "12") || !tableHas(out, "cpu", "8") {
			t.Errorf("quota-get:\n%s", out)
		}
		out = a.cli(env, "zun", "quota-get", "--usages", pb)
		if !tableHas(out, "containers", "12", "0") {
			t.Errorf("quota-get --usages:\n%s", out)
		}
		out = a.cli(env, "zun", "quota-defaults", pb)
		if !tableHas(out, "containers", "40") || !tableHas(out, "cpu", "8") {
			t.Errorf("quota-defaults:\n%s", out)
		}
		out = a.cli(env, "zun", "quota-class-update", "--disk", "50", "default")
		if !tableHas(out, "disk", "50") || !tableHas(out, "cpu", "8") {
			t.Errorf("quota-class-update:\n%s", out)
		}
		out = a.cli(env, "zun", "quota-class-get", "default")
		if !tableHas(out, "disk", "50") {
			t.Errorf("quota-class-get:\n%s", out)
		}
		a.cli(env, "zun", "quota-delete", pb)
		if out := a.cli(env, "zun", "quota-get", pb); !tableHas(out, "containers", "40") || !tableHas(out, "disk", "50") {
			t.Errorf("quota-get after quota-delete:\n%s", out)
		}
	})
	t.Run("openstackclient", func(t *testing.T) {
		requireTool(t, "openstack")
		out := a.cli(env, "openstack", "appcontainer", "quota", "update", "--containers", "9", pb)
		if !tableHas(out, "containers", "9") {
			t.Errorf("appcontainer quota update:\n%s", out)
		}
		out = a.cli(env, "openstack", "appcontainer", "quota", "get", "--usages", pb)
		if !strings.Contains(out, "in_use") || !strings.Contains(out, "9") {
			t.Errorf("appcontainer quota get --usages:\n%s", out)
		}
		if out := a.cli(env, "openstack", "appcontainer", "quota", "default", pb); !tableHas(out, "containers", "40") {
			t.Errorf("appcontainer quota default:\n%s", out)
		}
		if out := a.cli(env, "openstack", "appcontainer", "quota", "class", "get", "default"); !tableHas(out, "cpu", "8") {
			t.Errorf("appcontainer quota class get:\n%s", out)
		}
		a.cli(env, "openstack", "appcontainer", "quota", "delete", pb)
		if out := a.cli(env, "openstack", "appcontainer", "quota", "get", pb); !tableHas(out, "containers", "40") {
			t.Errorf("appcontainer quota get after delete:\n%s", out)
		}
	})
	t.Run("go-cli", func(t *testing.T) {
		zun := filepath.Join(binDir, "zun")
		out := a.cli(env, zun, "quota-update", "--containers", "-1", "--cpu", "3", pa)
		if !tableHas(out, "containers", "-1") || !tableHas(out, "cpu", "3") {
			t.Errorf("quota-update:\n%s", out)
		}
		if out := a.cli(env, zun, "quota-get", "--usages", pa); !tableHas(out, "cpu", "3", "0") {
			t.Errorf("quota-get --usages:\n%s", out)
		}
		if out := a.cli(env, zun, "quota-get", pa, "--format", "json"); !strings.Contains(out, `"containers": -1`) {
			t.Errorf("quota-get --format json:\n%s", out)
		}
		if out := a.cli(env, zun, "quota-defaults", pa); !tableHas(out, "disk", "50") {
			t.Errorf("quota-defaults:\n%s", out)
		}
		if out := a.cli(env, zun, "quota-class-update", "--memory", "4096", "gold"); !tableHas(out, "memory", "4096") || !tableHas(out, "containers", "40") {
			t.Errorf("quota-class-update:\n%s", out)
		}
		if out := a.cli(env, zun, "quota-class-get", "gold"); !tableHas(out, "memory", "4096") {
			t.Errorf("quota-class-get:\n%s", out)
		}
		a.cli(env, zun, "quota-delete", pa)
		if out := a.cli(env, zun, "quota-get", pa); !tableHas(out, "cpu", "8") {
			t.Errorf("quota-get after delete:\n%s", out)
		}
	})
}

// tableHas reports whether a table printed by a client has a row whose
// cells are exactly cells.
func tableHas(out string, cells ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "|")
		if len(f) < len(cells)+2 {
			continue
		}
		ok := true
		for i, c := range cells {
			ok = ok && strings.TrimSpace(f[i+1]) == c
		}
		if ok {
			return true
		}
	}
	return false
}
