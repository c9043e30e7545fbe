package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPolicyFileTakesEffect: an operator's policy file changes what the
// real API allows: listing becomes admin-only, members may choose the
// runtime and see the host of their containers.
func TestPolicyFileTakesEffect(t *testing.T) {
	requireDocker(t)
	file := writeFile(t, "policy.yaml", `
# Operators' overrides.
"container:get_all": "rule:admin_api"
"container:create:runtime": "role:member and project_id:%(project_id)s"
"container:get_one:host": "rule:admin_or_owner"
`)
	a := startAIO(t, "--policy-file", file)
	alice := a.createMember("pol-demo", "pol-alice", "alice-secret-1")

	st, body := a.doRaw("GET", "/v1/containers", alice, "1.40", nil)
	if st != 403 || !strings.Contains(string(body), "Policy doesn't allow container:get_all to be performed.") {
		t.Errorf("member list under an admin-only rule: %d %s", st, body)
	}
	a.Do("GET", "/v1/containers", nil, 200, nil)

	var c container
	a.DoAs(alice, "POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "runtime": "runc", "name": "pol-runtime"}, 202, &c)
	t.Cleanup(func() { a.doRaw("DELETE", "/v1/containers/"+c.UUID+"?force=true", a.admin, "1.40", nil) })
	// The field rule now shows the host to the owner.
	st, body = a.doRaw("GET", "/v1/containers/"+c.UUID, alice, "1.40", nil)
	if st != 200 || !strings.Contains(string(body), `"host":`) || strings.Contains(string(body), `"privileged":`) {
		t.Errorf("member view with container:get_one:host opened: %d %s", st, body)
	}
	// Rules the file does not name keep their defaults.
	if st, body := a.doRaw("POST", "/v1/containers", alice, "1.40", map[string]any{"image": "busybox:1.35", "privileged": true}); st != 403 {
		t.Errorf("privileged create: %d %s", st, body)
	}
	a.WaitStatus(c.UUID, 60*time.Second, "Created")
	a.DoAs(alice, "DELETE", "/v1/containers/"+c.UUID, nil, 204, nil)
}

// runAPI runs zun-api with args and env to its end (it must end by
// itself) and returns its exit code, stdout and stderr.
func runAPI(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "zun-api"), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("zun-api %v did not exit: %s", args, stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// TestPolicyFileTypoStopsService: a rule name that is not registered (or a
// rule that does not parse) stops zun-api and the all-in-one at start,
// naming the file and the rule, whether the file comes by flag, by
// environment or in the configuration file.
func TestPolicyFileTypoStopsService(t *testing.T) {
	bad := writeFile(t, "policy.yaml", "\"container:get_al\": \"rule:admin_api\"\n\"host:get\": \"role:admin or\"\n")
	conf := writeFile(t, "zun.yaml", "policy-file: "+bad+"\n")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--policy-file", bad}},
		{"environment", []string{"ZUN_POLICY_FILE=" + bad}, nil},
		{"config file", nil, []string{"--config", conf}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--all-in-one", "--data-dir", dir, "--listen", freePort(t), "--host", uniqueHost()}, tc.args...)
			code, _, stderr := runAPI(t, tc.env, args...)
			if code == 0 {
				t.Fatalf("zun-api started with a typo in its policy file: %s", stderr)
			}
			for _, want := range []string{bad, `rule \"container:get_al\" is not registered (did you mean \"container:get_all\"?)`,
				`policy rule \"host:get\": expected a check`} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %s:\n%s", want, stderr)
				}
			}
			// Nothing was set up before the check.
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("data dir written before the policy check: %v", entries)
			}
		})
	}
}

// TestPolicyDump: --policy-dump prints the effective rules as a policy
// file, overrides included, that zun-api accepts back.
func TestPolicyDump(t *testing.T) {
	file := writeFile(t, "policy.json", `{"container:get_all": "rule:admin_api"}`)
	code, out, stderr := runAPI(t, nil, "--policy-dump", "--policy-file", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"# Create a new container.\n# POST /v1/containers\n\"container:create\": \"rule:admin_or_owner\"\n",
		"# Overridden by " + file + "; default: \"rule:admin_or_owner\"\n\"container:get_all\": \"rule:admin_api\"\n",
		"\"container:create:privileged\": \"rule:deny_everybody\"\n",
		"\"quota_class:update\": \"rule:admin_api\"\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q", want)
		}
	}
	again := writeFile(t, "dumped.yaml", out)
	if code, out2, stderr := runAPI(t, nil, "--policy-dump", "--policy-file", again); code != 0 || !strings.Contains(out2, "\"container:get_all\": \"rule:admin_api\"") {
		t.Errorf("the dump does not load back: exit %d: %s", code, stderr)
	}
}
