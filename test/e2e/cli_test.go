package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGoCLIWalkthrough is the README's walk-through with our zun CLI.
func TestGoCLIWalkthrough(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	env := a.openrcEnv()
	zun := filepath.Join(binDir, "zun")

	out := a.cli(env, zun, "run", "--name", "walk", "busybox:1.35", "sh", "-c", "echo walk-hello; sleep 3600")
	id := uuidFromTable(t, out)
	a.WaitStatus(id, 60*time.Second, "Running")
	if out := a.cli(env, zun, "list"); !strings.Contains(out, "walk") || !strings.Contains(out, "Running") {
		t.Errorf("zun list:\n%s", out)
	}
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(a.cli(env, zun, "logs", "walk"), "walk-hello") })
	if st := docker(t, "inspect", "-f", "{{.State.Status}}", "zun-"+id); st != "running" {
		t.Errorf("docker shows %s", st)
	}
	if out := a.cli(env, zun, "list", "--format", "json"); !strings.Contains(out, `"uuid"`) {
		t.Errorf("zun list --format json:\n%s", out)
	}
	a.cli(env, zun, "delete", "--stop", "walk")
	a.WaitGone(id, 60*time.Second)
}

// TestExpiredToken: tokens are short-lived and an expired one is 401.
func TestExpiredToken(t *testing.T) {
	requireDocker(t)
	a := startAIO(t, "--token-ttl", "2s")
	tok := a.Token("admin", a.AdminPassword(), "admin")
	if st, b := a.doRaw("GET", "/v1/containers", tok, "1.40", nil); st != 200 {
		t.Fatalf("fresh token: %d %s", st, b)
	}
	time.Sleep(2500 * time.Millisecond)
	if st, b := a.doRaw("GET", "/v1/containers", tok, "1.40", nil); st != 401 {
		t.Fatalf("expired token: %d %s", st, b)
	}
}
