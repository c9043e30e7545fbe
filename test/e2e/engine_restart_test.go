package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/testutil/enginetest"
)

// startComputeOn starts an all-in-one (with apiExtra arguments) without
// its embedded agent and one zun-compute driving the engine at dockerHost;
// it returns both, the agent's arguments (to start it again) and its host
// name.
func startComputeOn(t *testing.T, dockerHost string, apiExtra ...string) (*aio, *proc, []string, string) {
	t.Helper()
	dir := t.TempDir()
	natsAddr := freePort(t)
	a := startAIOAt(t, dir, freePort(t), append([]string{"--embedded-compute=false", "--nats-listen", natsAddr}, apiExtra...)...)
	pw, err := os.ReadFile(filepath.Join(dir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	host := uniqueHost()
	args := []string{"--nats-url", "nats://" + natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
		"--host", host, "--sync-interval", "3s", "--heartbeat-interval", "1s", "--data-dir", dir,
		"--docker-host", dockerHost}
	comp := startProc(t, "zun-compute", args...)
	waitFor(t, 30*time.Second, func() bool {
		var l struct{ Hosts []struct{ Hostname string } }
		a.Do("GET", "/v1/hosts", nil, 200, &l)
		return len(l.Hosts) == 1
	})
	return a, comp, args, host
}

// engineCopies counts the engine containers of each Zun uuid.
func engineCopies(t *testing.T, e *enginetest.Engine, host string) map[string]int {
	t.Helper()
	out := e.Docker("ps", "-a", "--filter", "label=zun.host="+host, "--format", `{{.Label "zun.uuid"}}`)
	m := map[string]int{}
	for _, u := range strings.Fields(out) {
		m[u]++
	}
	return m
}

// TestEngineRestart (hardening F.26): the engine stops and comes back. A
// container with restart policy always is Running again, one without it is
// Stopped, a create made while the engine was down ends Running or in
// Error with a reason (never stuck in Creating), and there is exactly one
// engine container per record, none without one.
func TestEngineRestart(t *testing.T) {
	requireDocker(t)
	e := enginetest.Start(t, enginetest.Options{})
	e.CopyImage("busybox:1.35")
	a, _, _, host := startComputeOn(t, e.Host)

	run := func(name string, policy map[string]any) string {
		body := map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "name": name, "memory": "32"}
		if policy != nil {
			body["restart_policy"] = policy
		}
		var c container
		a.Do("POST", "/v1/containers?run=true", body, 202, &c)
		return c.UUID
	}
	always := run("always", map[string]any{"Name": "always"})
	plain := run("plain", nil)
	a.WaitStatus(always, 60*time.Second, "Running")
	a.WaitStatus(plain, 60*time.Second, "Running")

	e.Stop()
	// The agent sees the engine's containers stop (or loses the engine);
	// the plain one must end Stopped, not Error or Deleted, once it is back.
	var during container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"},
		"name": "during", "memory": "32"}, 202, &during)
	time.Sleep(3 * time.Second)
	e.Restart()

	c := a.WaitStatus(always, 90*time.Second, "Running")
	if c.Status != "Running" {
		t.Errorf("restart policy always: %s (%s)", c.Status, deref(c.StatusReason))
	}
	c = a.WaitStatus(plain, 90*time.Second, "Stopped")
	if c.Status != "Stopped" {
		t.Errorf("no restart policy: %s (%s)", c.Status, deref(c.StatusReason))
	}
	c = a.WaitStatus(during.UUID, 120*time.Second, "Running", "Error")
	t.Logf("create during the outage: %s (%s)", c.Status, deref(c.StatusReason))
	switch c.Status {
	case "Running":
	case "Error":
		if deref(c.StatusReason) == "<nil>" || deref(c.StatusReason) == "" {
			t.Errorf("create during the outage: Error without a reason")
		}
	default:
		t.Errorf("create during the outage: %s/%v after 2 minutes", c.Status, c.TaskState)
	}

	records := map[string]bool{always: true, plain: true, during.UUID: true}
	for u, n := range engineCopies(t, e, host) {
		if !records[u] {
			t.Errorf("orphan engine container %s", u)
		}
		if n != 1 {
			t.Errorf("%d engine containers for %s", n, u)
		}
	}
	// The agent still drives the engine: stop and start work.
	a.Do("POST", "/v1/containers/"+plain+"/start", nil, 202, nil)
	a.WaitStatus(plain, 60*time.Second, "Running")
	for u := range records {
		a.Do("DELETE", "/v1/containers/"+u+"?force=true", nil, 204, nil)
	}
	for u := range records {
		a.WaitGone(u, 60*time.Second)
	}
	if left := engineCopies(t, e, host); len(left) != 0 {
		t.Errorf("engine containers left after delete: %v", left)
	}
}

// TestEngineKilledLiveRestore (hardening F.26, live-restore): the engine is
// killed and restarted with live-restore; containers keep running with the
// same process, and the records stay Running throughout.
func TestEngineKilledLiveRestore(t *testing.T) {
	requireDocker(t)
	e := enginetest.Start(t, enginetest.Options{LiveRestore: true})
	e.CopyImage("busybox:1.35")
	a, _, _, host := startComputeOn(t, e.Host)

	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"},
		"name": "live", "memory": "32"}, 202, &c)
	a.WaitStatus(c.UUID, 60*time.Second, "Running")
	pid := e.Docker("inspect", "--format", "{{.State.Pid}}", "zun-"+c.UUID)

	e.Kill()
	time.Sleep(4 * time.Second) // more than a sync interval with the engine gone
	if got := a.Get(c.UUID); got.Status != "Running" {
		t.Errorf("while the engine is down: %s (%s), want Running", got.Status, deref(got.StatusReason))
	}
	e.Restart()
	time.Sleep(4 * time.Second)
	got := a.WaitStatus(c.UUID, 60*time.Second, "Running")
	if got.Status != "Running" {
		t.Fatalf("after the restart: %s (%s)", got.Status, deref(got.StatusReason))
	}
	if now := e.Docker("inspect", "--format", "{{.State.Pid}}", "zun-"+c.UUID); now != pid {
		t.Errorf("container process changed across a live-restore: %s -> %s", pid, now)
	}
	if n := engineCopies(t, e, host); n[c.UUID] != 1 || len(n) != 1 {
		t.Errorf("engine containers: %v", n)
	}
	// Operations work again.
	a.Do("POST", "/v1/containers/"+c.UUID+"/stop", nil, 202, nil)
	a.WaitStatus(c.UUID, 60*time.Second, "Stopped")
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
}

// TestAgentKillLoop (hardening F.25): ten kill -9 and restart cycles of the
// agent with containers running. Their processes are never restarted, the
// API shows them Running throughout, and exec and logs work after.
func TestAgentKillLoop(t *testing.T) {
	requireDocker(t)
	a, comp, args, host := startComputeOn(t, "unix:///var/run/docker.sock")
	uuids := make([]string, 3)
	pids := map[string]string{}
	for i := range uuids {
		var c container
		a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35",
			"command": []string{"sh", "-c", "echo hello; sleep 600"}, "memory": "32"}, 202, &c)
		uuids[i] = c.UUID
	}
	for _, u := range uuids {
		a.WaitStatus(u, 60*time.Second, "Running")
		pids[u] = docker(t, "inspect", "--format", "{{.State.Pid}} {{.RestartCount}}", "zun-"+u)
	}
	for cycle := range 10 {
		comp.kill9()
		for _, u := range uuids {
			if c := a.Get(u); c.Status != "Running" {
				t.Fatalf("cycle %d, agent down: %s is %s (%s)", cycle, u, c.Status, deref(c.StatusReason))
			}
		}
		comp = startProc(t, "zun-compute", args...)
		time.Sleep(time.Duration(500+cycle*150) * time.Millisecond) // kill at different points of the start-up
	}
	time.Sleep(4 * time.Second) // a sync interval after the last start
	for _, u := range uuids {
		if c := a.Get(u); c.Status != "Running" || c.TaskState != nil {
			t.Errorf("%s after the cycles: %s/%v (%s)", u, c.Status, c.TaskState, deref(c.StatusReason))
		}
		if now := docker(t, "inspect", "--format", "{{.State.Pid}} {{.RestartCount}}", "zun-"+u); now != pids[u] {
			t.Errorf("%s: pid and restart count %q -> %q", u, pids[u], now)
		}
		var ex struct {
			Output   string `json:"output"`
			ExitCode int    `json:"exit_code"`
		}
		a.Do("POST", "/v1/containers/"+u+"/execute?command=echo%20ok&run=true", nil, 200, &ex)
		if strings.TrimSpace(ex.Output) != "ok" || ex.ExitCode != 0 {
			t.Errorf("%s: exec after the cycles: %+v", u, ex)
		}
		var logs string
		a.Do("GET", "/v1/containers/"+u+"/logs?stdout=true", nil, 200, &logs)
		if !strings.Contains(logs, "hello") {
			t.Errorf("%s: logs after the cycles: %q", u, logs)
		}
	}
	if n := engineContainersOfHost(t, host); len(n) != len(uuids) {
		t.Errorf("engine containers of the host: %v", n)
	}
	for _, u := range uuids {
		a.Do("DELETE", "/v1/containers/"+u+"?force=true", nil, 204, nil)
	}
	for _, u := range uuids {
		a.WaitGone(u, 60*time.Second)
	}
}
