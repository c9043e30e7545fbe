package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func simpleTemplate(name, policy string, containers ...map[string]any) map[string]any {
	list := make([]any, len(containers))
	for i, c := range containers {
		list[i] = c
	}
	return map[string]any{"kind": "capsule", "metadata": map[string]any{"name": name},
		"spec": map[string]any{"restartPolicy": policy, "containers": list}}
}

func shContainer(name, script string) map[string]any {
	return map[string]any{"image": "busybox:1.35", "name": name, "command": []any{"sh", "-c", script},
		"resources": map[string]any{"requests": map[string]any{"cpu": 0.1, "memory": 16}}}
}

func restartCount(t *testing.T, uuid string) int {
	t.Helper()
	n, err := strconv.Atoi(docker(t, "inspect", "-f", "{{.RestartCount}}", "zun-"+uuid))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCapsuleRestartPolicies: an app container exiting 0 and one exiting
// 1; Always restarts both, OnFailure only the failing one, Never neither
// (and the capsule is then Error, naming the failed container).
func TestCapsuleRestartPolicies(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	ids := map[string]string{}
	for _, p := range []string{"Always", "OnFailure", "Never"} {
		var c capsule
		a.Do("POST", "/v1/capsules", map[string]any{"template": simpleTemplate("rp-"+strings.ToLower(p), p,
			shContainer("ok", "sleep 1; exit 0"), shContainer("bad", "sleep 1; exit 1"))}, 202, &c)
		ids[p] = c.UUID
	}
	want := map[string][2]bool{"Always": {true, true}, "OnFailure": {false, true}, "Never": {false, false}}
	caps := map[string]capsule{}
	for p, id := range ids {
		caps[p] = a.WaitCapsule(id, 120*time.Second, "Running", "Error", "Stopped")
	}
	// Wait until every container that should restart has restarted twice.
	waitFor(t, 120*time.Second, func() bool {
		for p, w := range want {
			c := caps[p]
			if (w[0] && restartCount(t, memberByName(t, c, "ok").UUID) < 2) || (w[1] && restartCount(t, memberByName(t, c, "bad").UUID) < 2) {
				return false
			}
		}
		return true
	})
	for p, w := range want {
		c := caps[p]
		okN, badN := restartCount(t, memberByName(t, c, "ok").UUID), restartCount(t, memberByName(t, c, "bad").UUID)
		if (okN > 0) != w[0] || (badN > 0) != w[1] {
			t.Errorf("%s: restarts ok=%d bad=%d, want restarted %v", p, okN, badN, w)
		}
	}
	never := a.WaitCapsule(ids["Never"], 90*time.Second, "Error")
	if deref(never.StatusReason) != "container bad exited with code 1" {
		t.Errorf("Never: reason %q", deref(never.StatusReason))
	}
	if c := a.GetCapsule(ids["OnFailure"]); c.Status != "Running" {
		t.Errorf("OnFailure: status %s (%s), want Running", c.Status, deref(c.StatusReason))
	}
	if c := a.GetCapsule(ids["Always"]); c.Status != "Running" {
		t.Errorf("Always: status %s (%s), want Running", c.Status, deref(c.StatusReason))
	}
	for _, id := range ids {
		a.Do("DELETE", "/v1/capsules/"+id, nil, 204, nil)
	}
	for _, id := range ids {
		a.WaitCapsuleGone(id, 120*time.Second)
		if ctrs, vols := capsuleEngine(t, id); len(ctrs)+len(vols) != 0 {
			t.Errorf("capsule %s left %v %v", id, ctrs, vols)
		}
	}
}

// TestCapsuleInitFailure: a failing init container fails the capsule with
// its name and exit code; the app containers are never created.
func TestCapsuleInitFailure(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	tpl := simpleTemplate("init-fails", "Always", shContainer("app", "sleep 600"))
	tpl["spec"].(map[string]any)["initContainers"] = []any{shContainer("first", "exit 0"), shContainer("second", "exit 3"), shContainer("third", "exit 0")}
	var c capsule
	a.Do("POST", "/v1/capsules", map[string]any{"template": tpl}, 202, &c)
	c = a.WaitCapsule(c.UUID, 120*time.Second, "Error")
	if r := deref(c.StatusReason); r != "init container second exited with code 3" {
		t.Fatalf("reason %q", r)
	}
	if _, err := dockerTry("inspect", "zun-"+memberByName(t, c, "app").UUID); err == nil {
		t.Fatal("app container created after a failed init container")
	}
	if _, err := dockerTry("inspect", "zun-"+memberByName(t, c, "third").UUID); err == nil {
		t.Fatal("init container after the failed one was created")
	}
	a.Do("DELETE", "/v1/capsules/"+c.UUID, nil, 204, nil)
	a.WaitCapsuleGone(c.UUID, 120*time.Second)
	if ctrs, vols := capsuleEngine(t, c.UUID); len(ctrs)+len(vols) != 0 {
		t.Errorf("left %v %v", ctrs, vols)
	}

	// A delete does not wait for a long init container: it cancels the
	// start and tears everything down.
	tpl = simpleTemplate("init-slow", "Always", shContainer("app", "sleep 600"))
	tpl["spec"].(map[string]any)["initContainers"] = []any{shContainer("slow", "sleep 600")}
	a.Do("POST", "/v1/capsules", map[string]any{"template": tpl}, 202, &c)
	slow := memberByName(t, c, "slow")
	waitFor(t, 90*time.Second, func() bool {
		out, err := dockerTry("inspect", "-f", "{{.State.Running}}", "zun-"+slow.UUID)
		return err == nil && strings.TrimSpace(out) == "true"
	})
	if got := a.GetCapsule(c.UUID); got.Status != "Creating" {
		t.Fatalf("status while the init container runs: %s", got.Status)
	}
	start := time.Now()
	a.Do("DELETE", "/v1/capsules/"+c.UUID, nil, 204, nil)
	a.WaitCapsuleGone(c.UUID, 90*time.Second)
	if ctrs, vols := capsuleEngine(t, c.UUID); len(ctrs)+len(vols) != 0 {
		t.Errorf("left %v %v", ctrs, vols)
	}
	t.Logf("delete during the init container took %v", time.Since(start))
	// Names are unique per project.
	a.Do("POST", "/v1/capsules", map[string]any{"template": simpleTemplate("dup-name", "Never", shContainer("app", "sleep 600"))}, 202, &c)
	if st, body := a.doRaw("POST", "/v1/capsules", a.admin, "1.40", map[string]any{"template": simpleTemplate("dup-name", "Never", shContainer("app", "sleep 600"))}); st != 409 {
		t.Errorf("duplicate capsule name: %d %s", st, body)
	}
	a.Do("DELETE", "/v1/capsules/"+c.UUID, nil, 204, nil)
	a.WaitCapsuleGone(c.UUID, 120*time.Second)
}

// TestCapsuleBadTemplates: each bad template is 400 naming the field, and
// nothing is created.
func TestCapsuleBadTemplates(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	good := func() map[string]any { return webTemplate("bad-tpl") }
	spec := func(m map[string]any) map[string]any { return m["spec"].(map[string]any) }
	app := func(m map[string]any, i int) map[string]any { return spec(m)["containers"].([]any)[i].(map[string]any) }
	for _, tc := range []struct {
		name   string
		mutate func(m map[string]any)
		field  string
	}{
		{"unknown kind", func(m map[string]any) { m["kind"] = "pod" }, "template.kind"},
		{"kind in wrong case", func(m map[string]any) { m["kind"] = "CAPSULE" }, "template.kind"},
		{"no kind", func(m map[string]any) { delete(m, "kind") }, "'kind' is a required property"},
		{"unknown top-level field", func(m map[string]any) { m["nets"] = []any{} }, "'nets' was unexpected"},
		{"bad capsuleVersion", func(m map[string]any) { m["capsuleVersion"] = "v2" }, "template.capsuleVersion"},
		{"no containers", func(m map[string]any) { delete(spec(m), "containers") }, "'containers' is a required property"},
		{"empty containers", func(m map[string]any) { spec(m)["containers"] = []any{} }, "template.spec.containers"},
		{"container without image", func(m map[string]any) { delete(app(m, 0), "image") }, "template.spec.containers[0]"},
		{"duplicate container names", func(m map[string]any) { app(m, 1)["name"] = "web" }, "template.spec.containers[1].name"},
		{"init and app share a name", func(m map[string]any) { app(m, 1)["name"] = "init" }, "template.spec.containers[1].name"},
		{"mount of no volume", func(m map[string]any) {
			app(m, 0)["volumeMounts"] = []any{map[string]any{"name": "nope", "mountPath": "/x"}}
		}, "template.spec.containers[0].volumeMounts[0].name"},
		{"relative mount path", func(m map[string]any) {
			app(m, 0)["volumeMounts"] = []any{map[string]any{"name": "workdir", "mountPath": "www"}}
		}, "template.spec.containers[0].volumeMounts[0].mountPath"},
		{"mount path with ..", func(m map[string]any) {
			app(m, 0)["volumeMounts"] = []any{map[string]any{"name": "workdir", "mountPath": "/www/../etc"}}
		}, "template.spec.containers[0].volumeMounts[0].mountPath"},
		{"mount over /proc", func(m map[string]any) {
			app(m, 0)["volumeMounts"] = []any{map[string]any{"name": "workdir", "mountPath": "/proc/sys"}}
		}, "template.spec.containers[0].volumeMounts[0].mountPath"},
		{"cpu too high", func(m map[string]any) {
			app(m, 1)["resources"] = map[string]any{"requests": map[string]any{"cpu": 64}}
		}, "template.spec.containers[1].resources.requests.cpu"},
		{"cpu too low", func(m map[string]any) {
			app(m, 1)["resources"] = map[string]any{"requests": map[string]any{"cpu": 0.01}}
		}, "template.spec.containers[1].resources.requests.cpu"},
		{"memory too high", func(m map[string]any) {
			app(m, 0)["resources"] = map[string]any{"requests": map[string]any{"memory": 100000}}
		}, "template.spec.containers[0].resources.requests.memory"},
		{"memory not a number", func(m map[string]any) {
			app(m, 0)["resources"] = map[string]any{"requests": map[string]any{"memory": "lots"}}
		}, "template.spec.containers[0].resources.requests.memory"},
		{"unknown container field", func(m map[string]any) { app(m, 0)["privileged"] = true }, "'privileged' was unexpected"},
		{"bad restart policy", func(m map[string]any) { spec(m)["restartPolicy"] = "Sometimes" }, "template.spec.restartPolicy"},
		{"bad protocol", func(m map[string]any) {
			app(m, 0)["ports"] = []any{map[string]any{"containerPort": 80, "protocol": "SCTP"}}
		}, "template.spec.containers[0].ports[0].protocol"},
		{"hostPort outside the node-port range", func(m map[string]any) {
			app(m, 0)["ports"] = []any{map[string]any{"containerPort": 8080, "hostPort": 22}}
		}, "template.spec.containers[0].ports[0].hostPort"},
		{"port declared twice", func(m map[string]any) {
			app(m, 1)["ports"] = []any{map[string]any{"containerPort": 8080}}
		}, "template.spec.containers[1].ports"},
		{"volume with size and volumeID", func(m map[string]any) {
			spec(m)["volumes"] = []any{map[string]any{"name": "workdir", "cinder": map[string]any{"size": 1, "volumeID": "v"}}}
		}, "template.spec.volumes[0].cinder"},
		{"reserved label", func(m map[string]any) {
			m["metadata"].(map[string]any)["labels"] = map[string]any{"zun.uuid": "x"}
		}, "template.metadata.labels"},
		{"relative workDir", func(m map[string]any) { app(m, 0)["workDir"] = "tmp" }, "template.spec.containers[0].workDir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := good()
			tc.mutate(tpl)
			st, body := a.doRaw("POST", "/v1/capsules", a.admin, "1.40", map[string]any{"template": tpl})
			if st != 400 || !strings.Contains(string(body), tc.field) {
				t.Fatalf("status %d, body %s; want 400 naming %s", st, body, tc.field)
			}
		})
	}
	// The template as a JSON string is accepted too; a malformed one is 400.
	st, body := a.doRaw("POST", "/v1/capsules", a.admin, "1.40", `{"template": "{\"kind\": \"capsule\", \"kind\": \"capsule\"}"}`)
	if st != 400 || !strings.Contains(string(body), "Duplicate key") {
		t.Fatalf("duplicate key in string template: %d %s", st, body)
	}
	st, body = a.doRaw("POST", "/v1/capsules", a.admin, "1.40", `{"template": {}, "extra": 1}`)
	if st != 400 || !strings.Contains(string(body), "'extra' was unexpected") {
		t.Fatalf("extra body field: %d %s", st, body)
	}
	// initContainers need 1.34.
	old := good()
	delete(old["metadata"].(map[string]any), "annotations")
	st, body = a.doRaw("POST", "/v1/capsules", a.admin, "1.33", map[string]any{"template": old})
	if st != 400 || !strings.Contains(string(body), "initContainers") {
		t.Fatalf("initContainers at 1.33: %d %s", st, body)
	}
	// Nothing was created.
	var cl struct{ Capsules []capsule }
	a.Do("GET", "/v1/capsules?all_projects=true", nil, 200, &cl)
	if len(cl.Capsules) != 0 {
		t.Fatalf("bad templates created %d capsules", len(cl.Capsules))
	}
	if n := docker(t, "ps", "-a", "-q", "--filter", "label=zun.host="+hostOf(a)); n != "" {
		t.Fatalf("bad templates created engine containers: %s", n)
	}
}

// hostOf returns the --host argument of an all-in-one.
func hostOf(a *aio) string {
	for i, s := range a.args {
		if s == "--host" && i+1 < len(a.args) {
			return a.args[i+1]
		}
	}
	return ""
}

// TestCapsuleComputeKilled kills zun-compute with SIGKILL while a capsule
// starts (its init container runs): after a restart the capsule converges
// to Running with no orphan; a delete accepted while the agent is down is
// finished by its start-up reconcile; an engine container of a capsule
// without a record is removed.
func TestCapsuleComputeKilled(t *testing.T) {
	requireDocker(t)
	dir := t.TempDir()
	natsAddr := freePort(t)
	a := startAIOAt(t, dir, freePort(t), "--embedded-compute=false", "--nats-listen", natsAddr)
	pw, err := os.ReadFile(filepath.Join(dir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	host := uniqueHost()
	computeArgs := []string{"--nats-url", "nats://" + natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
		"--host", host, "--sync-interval", "3s", "--heartbeat-interval", "1s", "--data-dir", dir}
	comp := startProc(t, "zun-compute", computeArgs...)
	waitFor(t, 90*time.Second, func() bool {
		var l struct{ Hosts []struct{ Hostname string } }
		a.Do("GET", "/v1/hosts", nil, 200, &l)
		return len(l.Hosts) == 1
	})
	tpl := simpleTemplate("killed", "Always", shContainer("app", "sleep 600"), shContainer("side", "sleep 600"))
	tpl["spec"].(map[string]any)["initContainers"] = []any{shContainer("slow-init", "sleep 3")}
	var c capsule
	a.Do("POST", "/v1/capsules", map[string]any{"template": tpl}, 202, &c)
	init := memberByName(t, c, "slow-init")
	// Kill the agent while the init container runs.
	waitFor(t, 90*time.Second, func() bool {
		out, err := dockerTry("inspect", "-f", "{{.State.Running}}", "zun-"+init.UUID)
		return err == nil && strings.TrimSpace(out) == "true"
	})
	comp.kill9()
	<-comp.done
	comp = startProc(t, "zun-compute", computeArgs...)
	c = a.WaitCapsule(c.UUID, 90*time.Second, "Running", "Error")
	if c.Status != "Running" {
		t.Fatalf("capsule after agent restart: %s (%s)", c.Status, deref(c.StatusReason))
	}
	ctrs, _ := capsuleEngine(t, c.UUID)
	if len(ctrs) != 4 {
		t.Fatalf("engine containers of the capsule: %v, want sandbox, init and 2 apps", ctrs)
	}
	if n := restartCount(t, init.UUID); n != 0 {
		t.Fatalf("init container restarted %d times", n)
	}

	// A stray container of a capsule without a record is removed.
	stray := fmt.Sprintf("zun-stray-%d", time.Now().UnixNano())
	docker(t, "run", "-d", "--name", stray, "--label", "zun.managed=true", "--label", "zun.host="+host,
		"--label", "zun.capsule=00000000-0000-0000-0000-00000000dead", "--label", "zun.uuid=stray", "busybox:1.35", "sleep", "600")
	t.Cleanup(func() { _, _ = dockerTry("rm", "-f", stray) })
	waitFor(t, 90*time.Second, func() bool {
		_, err := dockerTry("inspect", stray)
		return err != nil
	})

	// Delete while the agent is down: finished when it comes back.
	comp.kill9()
	<-comp.done
	a.Do("DELETE", "/v1/capsules/"+c.UUID, nil, 204, nil)
	if got := a.GetCapsule(c.UUID); got.Status != "Deleting" {
		t.Fatalf("status while the agent is down: %s", got.Status)
	}
	startProc(t, "zun-compute", computeArgs...)
	a.WaitCapsuleGone(c.UUID, 120*time.Second)
	if ctrs, vols := capsuleEngine(t, c.UUID); len(ctrs)+len(vols) != 0 {
		t.Fatalf("left after delete: %v %v", ctrs, vols)
	}
	if left := engineContainersOfHost(t, host); len(left) != 0 {
		t.Fatalf("orphans on the host: %v", left)
	}
}
