package e2e

import (
	"github.com/openzun/zun/internal/testutil/needs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openrcEnv turns the all-in-one's admin-openrc into an environment.
func (a *aio) openrcEnv() []string {
	a.t.Helper()
	b, err := os.ReadFile(filepath.Join(a.DataDir, "admin-openrc"))
	if err != nil {
		a.t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + a.t.TempDir()}
	for _, l := range strings.Split(string(b), "\n") {
		kv, ok := strings.CutPrefix(l, "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, k+"="+strings.Trim(v, "'"))
	}
	return env
}

func requireTool(t *testing.T, name string) { t.Helper(); needs.Binaries(t, name) }

// cli runs a client command with the admin's environment and returns its
// output, failing the test on a non-zero exit.
func (a *aio) cli(env []string, name string, args ...string) string {
	a.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := boundedOutput(cmd)
	if err != nil {
		a.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// uuidFromTable finds the uuid row of a python-zunclient show table.
func uuidFromTable(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "|")
		if len(f) >= 3 && strings.TrimSpace(f[1]) == "uuid" {
			return strings.TrimSpace(f[2])
		}
	}
	t.Fatalf("no uuid in:\n%s", out)
	return ""
}

// TestPythonZunclient drives the all-in-one with Debian's python3-zunclient.
func TestPythonZunclient(t *testing.T) {
	requireDocker(t)
	requireTool(t, "zun")
	a := startAIO(t)
	env := a.openrcEnv()

	out := a.cli(env, "zun", "run", "--name", "pyzun", "--memory", "64", "busybox:1.35", "sh", "-c", "echo py-hello; exec sleep 600")
	id := uuidFromTable(t, out)
	a.WaitStatus(id, 60*time.Second, "Running")

	if out := a.cli(env, "zun", "list"); !strings.Contains(out, "pyzun") || !strings.Contains(out, "Running") {
		t.Errorf("zun list:\n%s", out)
	}
	if out := a.cli(env, "zun", "show", "pyzun"); !strings.Contains(out, id) {
		t.Errorf("zun show:\n%s", out)
	}
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(a.cli(env, "zun", "logs", "pyzun"), "py-hello") })
	a.cli(env, "zun", "stop", "pyzun")
	a.WaitStatus(id, 30*time.Second, "Stopped")
	a.cli(env, "zun", "start", "pyzun")
	a.WaitStatus(id, 30*time.Second, "Running")
	a.cli(env, "zun", "restart", "pyzun")
	a.WaitStatus(id, 30*time.Second, "Running")
	a.cli(env, "zun", "pause", "pyzun")
	a.WaitStatus(id, 30*time.Second, "Paused")
	a.cli(env, "zun", "unpause", "pyzun")
	a.WaitStatus(id, 30*time.Second, "Running")
	if out := a.cli(env, "zun", "update", "pyzun", "--memory", "96"); !strings.Contains(out, "96") {
		t.Errorf("zun update:\n%s", out)
	}
	a.cli(env, "zun", "kill", "pyzun")
	a.WaitStatus(id, 30*time.Second, "Stopped")
	a.cli(env, "zun", "delete", "pyzun")
	a.WaitGone(id, 60*time.Second)
}

// TestOpenstackClient drives it with Debian's python3-openstackclient.
func TestOpenstackClient(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	a := startAIO(t)
	env := a.openrcEnv()

	out := a.cli(env, "openstack", "appcontainer", "run", "--name", "osc1", "busybox:1.35", "sleep", "600")
	id := uuidFromTable(t, out)
	a.WaitStatus(id, 60*time.Second, "Running")
	if out := a.cli(env, "openstack", "appcontainer", "list"); !strings.Contains(out, "osc1") {
		t.Errorf("appcontainer list:\n%s", out)
	}
	if out := a.cli(env, "openstack", "appcontainer", "show", "osc1"); !strings.Contains(out, id) {
		t.Errorf("appcontainer show:\n%s", out)
	}
	a.cli(env, "openstack", "appcontainer", "delete", "--stop", "osc1")
	a.WaitGone(id, 60*time.Second)
}

func waitFor(t testing.TB, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}
