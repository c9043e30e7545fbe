package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// nsOf returns the inode link of namespace ns (net, ipc, pid) of an engine
// container's main process, read from the host's /proc.
func nsOf(name, ns string) (string, error) {
	pid, err := dockerTry("inspect", "-f", "{{.State.Pid}}", name)
	if err != nil {
		return "", fmt.Errorf("inspect %s: %v: %s", name, err, pid)
	}
	pid = strings.TrimSpace(pid)
	if pid == "0" {
		return "", fmt.Errorf("%s does not run", name)
	}
	return os.Readlink("/proc/" + pid + "/ns/" + ns)
}

// capsuleHealthy reports whether c is Running with every app member in
// its sandbox's net, IPC and PID namespaces and the web member answering
// on localhost from the probe member. It returns what is wrong otherwise.
func capsuleHealthy(a *aio, uuid string) string {
	c := a.GetCapsule(uuid)
	if c.Status != "Running" {
		return "status " + c.Status + " " + deref(c.StatusReason)
	}
	for _, ns := range []string{"net", "ipc", "pid"} {
		want, err := nsOf("zun-"+uuid, ns)
		if err != nil {
			return err.Error()
		}
		for _, m := range c.Containers {
			got, err := nsOf("zun-"+m.UUID, ns)
			if err != nil {
				return err.Error()
			}
			if got != want {
				return fmt.Sprintf("%s is in %s, the sandbox in %s", m.Name, got, want)
			}
		}
	}
	probe := "zun-" + memberUUID(c, "probe")
	out, err := dockerTry("exec", probe, "timeout", "5", "wget", "-q", "-O", "-", "http://localhost:8080/index.html")
	if err != nil || strings.TrimSpace(out) != "hello" {
		return fmt.Sprintf("localhost from probe: %q %v", out, err)
	}
	ps, err := dockerTry("exec", probe, "ps", "-o", "args")
	if err != nil || !strings.Contains(ps, "httpd -f -p 8080") {
		return fmt.Sprintf("probe does not see web's processes: %v\n%s", err, ps)
	}
	return ""
}

func memberUUID(c capsule, name string) string {
	for _, m := range append(c.InitContainers, c.Containers...) {
		if m.Name == name {
			return m.UUID
		}
	}
	return ""
}

// waitHealthy waits until capsuleHealthy has nothing to say.
func waitHealthy(t *testing.T, a *aio, uuid, after string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	why := ""
	for time.Now().Before(deadline) {
		if why = capsuleHealthy(a, uuid); why == "" {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("capsule did not converge after %s: %s", after, why)
}

// webPair is a capsule of a web server and a probe that reaches it on
// localhost, without volumes.
func webPair(name, policy string) map[string]any {
	return simpleTemplate(name, policy,
		shContainer("web", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"),
		shContainer("probe", "exec sleep 3600"))
}

// TestCapsuleSandboxRestart kills, restarts and removes the sandbox of a
// running capsule behind the agent's back (docker kill is not restarted by
// Docker's policy, and the members die with the sandbox's PID namespace or
// fail to join a stopped one), and kills members: each time the capsule
// converges to Running with every member in the sandbox's namespaces again
// and localhost working between them. Under Never nothing is restarted.
func TestCapsuleSandboxRestart(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	cleanupHost(t, hostOf(a))
	var c capsule
	a.Do("POST", "/v1/capsules", map[string]any{"template": webPair("pair", "Always")}, 202, &c)
	waitHealthy(t, a, c.UUID, "create")
	sandbox := "zun-" + c.UUID

	docker(t, "kill", sandbox)
	waitHealthy(t, a, c.UUID, "docker kill of the sandbox")

	docker(t, "restart", "-t", "1", sandbox)
	waitHealthy(t, a, c.UUID, "docker restart of the sandbox")

	docker(t, "kill", "zun-"+memberUUID(c, "web"))
	waitHealthy(t, a, c.UUID, "docker kill of a member")

	oldID := strings.TrimSpace(docker(t, "inspect", "-f", "{{.Id}}", sandbox))
	docker(t, "rm", "-f", sandbox)
	waitHealthy(t, a, c.UUID, "removal of the sandbox")
	if id := strings.TrimSpace(docker(t, "inspect", "-f", "{{.Id}}", sandbox)); id == oldID {
		t.Fatal("the sandbox was not created again")
	}
	if ctrs, _ := capsuleEngine(t, c.UUID); len(ctrs) != 3 {
		t.Fatalf("engine containers of the capsule: %v, want the sandbox and 2 members", ctrs)
	}

	// OnFailure: a killed member (code 137) runs again.
	var of capsule
	a.Do("POST", "/v1/capsules", map[string]any{"template": webPair("pair-of", "OnFailure")}, 202, &of)
	waitHealthy(t, a, of.UUID, "create")
	docker(t, "kill", "zun-"+memberUUID(of, "probe"))
	waitHealthy(t, a, of.UUID, "docker kill of a member under OnFailure")

	// Never: the kill stands, the capsule says why.
	var nv capsule
	a.Do("POST", "/v1/capsules", map[string]any{"template": webPair("pair-never", "Never")}, 202, &nv)
	waitHealthy(t, a, nv.UUID, "create")
	docker(t, "kill", "zun-"+memberUUID(nv, "web"))
	got := a.WaitCapsule(nv.UUID, 30*time.Second, "Error")
	if deref(got.StatusReason) != "container web exited with code 137" {
		t.Fatalf("Never capsule after a kill: %s", deref(got.StatusReason))
	}
	time.Sleep(6 * time.Second) // a sync interval: still not restarted
	if out := strings.TrimSpace(docker(t, "inspect", "-f", "{{.State.Running}}", "zun-"+memberUUID(nv, "web"))); out != "false" {
		t.Fatalf("a member of a Never capsule was restarted")
	}

	for _, u := range []string{c.UUID, of.UUID, nv.UUID} {
		a.Do("DELETE", "/v1/capsules/"+u, nil, 204, nil)
	}
	for _, u := range []string{c.UUID, of.UUID, nv.UUID} {
		a.WaitCapsuleGone(u, 60*time.Second)
		if ctrs, _ := capsuleEngine(t, u); len(ctrs) != 0 {
			t.Fatalf("left after delete: %v", ctrs)
		}
	}
}

// cleanupHost removes, at cleanup, the engine containers a failed test
// left on host (a passing one deletes its capsules itself).
func cleanupHost(t *testing.T, host string) {
	t.Helper()
	t.Cleanup(func() {
		out, _ := dockerTry("ps", "-aq", "--filter", "label=zun.host="+host)
		for _, id := range strings.Fields(out) {
			_, _ = dockerTry("rm", "-f", id)
		}
	})
}
