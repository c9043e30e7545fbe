package identity

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestOpenstackCLI drives Debian's python3-openstackclient: token issue,
// catalog list and the admin's project, user and role lists.
func TestOpenstackCLI(t *testing.T) {
	bin, err := exec.LookPath("openstack")
	if err != nil {
		t.Skip("python3-openstackclient is not installed")
	}
	e := newEnv(t)
	run := func(args ...string) []map[string]any {
		t.Helper()
		cmd := exec.Command(bin, append(args, "-f", "json")...)
		env := []string{}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "OS_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env,
			"OS_AUTH_URL="+e.url(""),
			"OS_IDENTITY_API_VERSION=3",
			"OS_USERNAME=admin",
			"OS_PASSWORD="+adminPassword,
			"OS_PROJECT_NAME=admin",
			"OS_USER_DOMAIN_NAME=Default",
			"OS_PROJECT_DOMAIN_NAME=Default",
		)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("openstack %v: %v\n%s", args, err, stderr)
		}
		var rows []map[string]any
		if strings.HasPrefix(strings.TrimSpace(string(out)), "{") {
			var row map[string]any
			if err := json.Unmarshal(out, &row); err != nil {
				t.Fatalf("openstack %v: %v: %s", args, err, out)
			}
			return []map[string]any{row}
		}
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("openstack %v: %v: %s", args, err, out)
		}
		return rows
	}
	names := func(rows []map[string]any, key string) []string {
		var out []string
		for _, r := range rows {
			s, _ := r[key].(string)
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}

	tok := run("token", "issue")
	if len(tok) != 1 || tok[0]["id"] == "" || tok[0]["project_id"] == "" || tok[0]["user_id"] == "" {
		t.Fatalf("token issue: %v", tok)
	}
	if got := names(run("catalog", "list"), "Type"); !slices.Equal(got, []string{"container", "identity"}) {
		t.Fatalf("catalog list: %v", got)
	}
	if got := names(run("project", "list"), "Name"); !slices.Equal(got, []string{"admin", "demo", "service"}) {
		t.Fatalf("project list: %v", got)
	}
	if got := names(run("user", "list"), "Name"); !slices.Equal(got, []string{"admin", "alice"}) {
		t.Fatalf("user list: %v", got)
	}
	if got := names(run("role", "list"), "Name"); !slices.Equal(got, []string{"admin", "member", "reader"}) {
		t.Fatalf("role list: %v", got)
	}
}
