package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// withUser returns env with the OS_* credentials of another user.
func withUser(env []string, user, password, project string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_PROJECT_ID", "OS_TENANT_NAME":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "OS_USERNAME="+user, "OS_PASSWORD="+password, "OS_PROJECT_NAME="+project)
}

// hasStatus tells whether a client's output reports HTTP status code as
// python-zunclient ("(HTTP 404)") or openstacksdk ("404: Client Error")
// print it. A bare "404" is no evidence: request IDs, UUIDs and MAC
// addresses in a successful answer contain such digits.
func hasStatus(out string, code int) bool {
	return strings.Contains(out, fmt.Sprintf("HTTP %d", code)) || strings.Contains(out, fmt.Sprintf("%d: Client Error", code))
}

// cliRefused runs a client command that the API must refuse and returns
// its output. The exit status is not checked: the OpenStack client's
// stop and delete print the API's error and still exit 0.
func (a *aio) cliRefused(env []string, name string, args ...string) string {
	a.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, _ := boundedOutput(cmd)
	return string(out)
}

// TestOpenstackClientTenants is issue 3's acceptance through Debian's
// python3-openstackclient: the admin creates two projects with a member
// each; one member's containers are invisible (404) to the other for every
// verb, while the admin sees them with --all-projects.
func TestOpenstackClientTenants(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	a := startAIO(t)
	admin := a.openrcEnv()
	for _, p := range []struct{ project, user, password string }{
		{"osc-demo", "osc-alice", "alice-pw-123"},
		{"osc-other", "osc-bob", "bob-pw-12345"},
	} {
		a.cli(admin, "openstack", "project", "create", "--domain", "default", p.project)
		a.cli(admin, "openstack", "user", "create", "--domain", "default", "--project", p.project, "--password", p.password, p.user)
		a.cli(admin, "openstack", "role", "add", "--project", p.project, "--user", p.user, "member")
	}
	alice := withUser(admin, "osc-alice", "alice-pw-123", "osc-demo")
	bob := withUser(admin, "osc-bob", "bob-pw-12345", "osc-other")

	out := a.cli(alice, "openstack", "appcontainer", "run", "--name", "alices-box", "busybox:1.35", "sleep", "600")
	id := uuidFromTable(t, out)
	a.WaitStatus(id, 60*time.Second, "Running")
	if out := a.cli(alice, "openstack", "appcontainer", "list"); !strings.Contains(out, id) {
		t.Errorf("alice's list misses her container:\n%s", out)
	}

	if out := a.cli(bob, "openstack", "appcontainer", "list"); strings.Contains(out, id) || strings.Contains(out, "alices-box") {
		t.Errorf("bob's list shows alice's container:\n%s", out)
	}
	for _, args := range [][]string{
		{"appcontainer", "show", id},
		{"appcontainer", "show", "alices-box"},
		{"appcontainer", "stop", id},
		{"appcontainer", "exec", id, "ls"},
		{"appcontainer", "delete", "--stop", id},
	} {
		out := a.cliRefused(bob, "openstack", args...)
		if !hasStatus(out, 404) && !strings.Contains(strings.ToLower(out), "not found") {
			t.Errorf("bob %v: want a not-found answer, got:\n%s", args, out)
		}
		if hasStatus(out, 403) || strings.Contains(out, "Forbidden") {
			t.Errorf("bob %v: existence revealed with 403:\n%s", args, out)
		}
	}
	// bob's members cannot list all projects either.
	if out := a.cliRefused(bob, "openstack", "appcontainer", "list", "--all-projects"); !hasStatus(out, 403) && !strings.Contains(out, "Forbidden") {
		t.Errorf("bob --all-projects: want 403, got:\n%s", out)
	}

	if out := a.cli(admin, "openstack", "appcontainer", "list", "--all-projects"); !strings.Contains(out, id) {
		t.Errorf("admin --all-projects misses alice's container:\n%s", out)
	}
	if c := a.Get(id); c.Status != "Running" {
		t.Errorf("alice's container after bob's attempts: %+v", c)
	}
	a.cli(alice, "openstack", "appcontainer", "delete", "--stop", id)
	a.WaitGone(id, 60*time.Second)
}
