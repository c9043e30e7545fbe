package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListTable(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "list", "--status", "Running", "--limit", "5")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := `+----------+------+--------------+---------+------------+--------------------+-------+
| uuid     | name | image        | status  | task_state | addresses          | ports |
+----------+------+--------------+---------+------------+--------------------+-------+
| 6c1d-web | web  | busybox:1.35 | Running | None       | 10.1.0.7, 10.0.0.5 | [80]  |
+----------+------+--------------+---------+------------+--------------------+-------+
`
	if r.stdout != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	log, _ := f.requests()
	if log[0] != "GET /v1/containers?limit=5&status=Running" {
		t.Fatalf("request = %q", log[0])
	}
}

func TestListJSON(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "list", "-f", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(got) != 1 || got[0]["name"] != "web" || !strings.Contains(r.stdout, "\n    {") {
		t.Fatalf("stdout = %s", r.stdout)
	}
}

func TestShowTable(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "show", "web")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"| Property ", "| uuid            | 6c1d-web ",
		"| command         | [\"sleep\",\"60\"] ",
		"| addresses       | 10.1.0.7, 10.0.0.5 ",
		"| networks        | net-a, net-b ",
		"| status_reason   | None ",
		"| interactive     | False ",
		"| environment     | {\"A\":\"1\"} ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
	lines := strings.Split(r.stdout, "\n")
	if !strings.HasPrefix(lines[3], "| uuid ") || !strings.HasPrefix(lines[len(lines)-3], "| networks ") {
		t.Errorf("rows out of order:\n%s", r.stdout)
	}
}

func TestShowNotFound(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "show", "nope")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	want := "ERROR: Container nope could not be found. (HTTP 404) (Request-ID: req-abc)\n"
	if r.stderr != want || r.stdout != "" {
		t.Fatalf("stderr = %q, stdout = %q", r.stderr, r.stdout)
	}
}

func TestBadCredentials(t *testing.T) {
	f := newFakeAPI(t)
	env := f.env()
	env["OS_PASSWORD"] = "wrong"
	r := runCLI(t, env, "list")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "ERROR: The request you have made requires authentication. (HTTP 401)") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	// A flag overrides the environment.
	if r := runCLI(t, env, "--os-password", "secret", "list"); r.code != 0 {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestRunSendsCreateBody(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "run", "-n", "web", "--cpu", "0.5", "-m", "256", "-e", "A=1,B=2",
		"--label", "tier=web", "--label", "team=x", "--restart", "on-failure:3", "-i",
		"--healthcheck", "cmd=true,interval=1m,retries=2,timeout=5s", "--entrypoint", "/bin/sh -c",
		"-w", "/tmp", "--hint", "label:type=ssd", "busybox:1.35", "echo", "--name", "x")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	log, bodies := f.requests()
	if log[0] != "POST /v1/containers?run=true" {
		t.Fatalf("request = %q", log[0])
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "web", "image": "busybox:1.35", "cpu": 0.5, "memory": "256",
		"command":     []any{"echo", "--name", "x"},
		"entrypoint":  []any{"/bin/sh", "-c"},
		"environment": map[string]any{"A": "1", "B": "2"},
		"labels":      map[string]any{"tier": "web", "team": "x"},
		"hints":       map[string]any{"label:type": "ssd"},
		"workdir":     "/tmp", "interactive": true, "tty": true,
		"restart_policy": map[string]any{"Name": "on-failure", "MaximumRetryCount": 3.0},
		"healthcheck":    map[string]any{"cmd": "true", "interval": 60.0, "retries": 2.0, "timeout": 5.0},
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Fatalf("body\n got %s\nwant %s", gb, wb)
	}
	if !strings.Contains(r.stdout, "| name ") {
		t.Fatalf("stdout = %s", r.stdout)
	}
}

func TestCreateUsageErrors(t *testing.T) {
	f := newFakeAPI(t)
	cases := [][]string{
		{"create"},
		{"create", "--restart", "always", "--auto-remove", "busybox"},
		{"create", "--restart", "sometimes", "busybox"},
		{"create", "-e", "novalue", "busybox"},
		{"create", "--image-pull-policy", "maybe", "busybox"},
		{"create", "--healthcheck", "cmd=x,interval=5d", "busybox"},
		{"list", "--sort-dir", "up"},
		{"show", "-f", "xml", "web"},
		{"frobnicate"},
		{"list", "--no-such-flag"},
	}
	for _, args := range cases {
		r := runCLI(t, f.env(), args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "ERROR: ") {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	if log, _ := f.requests(); len(log) != 0 {
		t.Fatalf("usage errors sent requests: %v", log)
	}
}

func TestExecExitCode(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "exec", "web", "sh", "-c", "echo hello; exit 7")
	if r.code != 7 || r.stdout != "hello\n" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	log, _ := f.requests()
	want := "POST /v1/containers/web/execute?command=%27sh%27+%27-c%27+%27echo+hello%3B+exit+7%27&run=true"
	if log[0] != want {
		t.Fatalf("request = %q", log[0])
	}
}

func TestDeleteSeveral(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "delete", "-f", "--stop", "web", "ghost")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if r.stdout != "Request to delete container web has been accepted.\n" {
		t.Fatalf("stdout = %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "Delete for container ghost failed: Container ghost could not be found. (HTTP 404)") {
		t.Fatalf("stderr = %q", r.stderr)
	}
	log, _ := f.requests()
	if log[0] != "DELETE /v1/containers/web?force=true&stop=true" {
		t.Fatalf("request = %q", log[0])
	}
}

func TestActionsSendQueries(t *testing.T) {
	f := newFakeAPI(t)
	cases := []struct {
		args []string
		want string
		out  string
	}{
		{[]string{"stop", "web"}, "POST /v1/containers/web/stop?timeout=10", "Request to stop container web has been accepted.\n"},
		{[]string{"restart", "-t", "3", "web"}, "POST /v1/containers/web/reboot?timeout=3", "Request to restart container web has been accepted.\n"},
		{[]string{"kill", "-s", "KILL", "web"}, "POST /v1/containers/web/kill?signal=KILL", "Request to kill signal to container web has been accepted.\n"},
		{[]string{"rebuild", "--image", "nginx", "web"}, "POST /v1/containers/web/rebuild?image=nginx", "Request to rebuild container web has been accepted.\n"},
		{[]string{"pause", "web"}, "POST /v1/containers/web/pause?", "Request to pause container web has been accepted.\n"},
		{[]string{"network-attach", "--network", "private", "--fixed-ip", "10.0.0.9", "web"}, "POST /v1/containers/web/network_attach?fixed_ip=10.0.0.9&network=private", ""},
		{[]string{"network-detach", "--port", "p1", "web"}, "POST /v1/containers/web/network_detach?port=p1", ""},
		{[]string{"logs", "--tail", "2", "-t", "web"}, "GET /v1/containers/web/logs?stderr=true&stdout=true&tail=2&timestamps=true", "a\nb\n"},
	}
	for _, tc := range cases {
		before, _ := f.requests()
		r := runCLI(t, f.env(), tc.args...)
		if r.code != 0 || r.stdout != tc.out {
			t.Errorf("%v: exit %d stdout %q stderr %q", tc.args, r.code, r.stdout, r.stderr)
		}
		after, _ := f.requests()
		if len(after) != len(before)+1 || after[len(after)-1] != tc.want {
			t.Errorf("%v: requests %v, want %q", tc.args, after[len(before):], tc.want)
		}
	}
}

func TestServiceDisable(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "service-disable", "--reason", "maint", "node1", "zun-compute")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := `+-----------------+-------------+
| Property        | Value       |
+-----------------+-------------+
| host            | node1       |
| binary          | zun-compute |
| disabled        | True        |
| disabled_reason | maint       |
+-----------------+-------------+
`
	if r.stdout != want {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
}

func TestVersionList(t *testing.T) {
	f := newFakeAPI(t)
	r := runCLI(t, f.env(), "version-list")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "Client supported API versions:\nMinimum version 1.1\nMaximum version 1.40\n") ||
		!strings.Contains(r.stdout, "| v1 | CURRENT | 1.1         | 1.40        |") {
		t.Fatalf("stdout:\n%s", r.stdout)
	}
}

func TestCloudsYAML(t *testing.T) {
	f := newFakeAPI(t)
	p := filepath.Join(t.TempDir(), "clouds.yaml")
	yaml := "clouds:\n  test:\n    auth:\n      auth_url: " + f.srv.URL + "/identity/v3\n" +
		"      username: demo\n      password: secret\n      project_name: demo\n    region_name: RegionOne\n"
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OS_CLIENT_CONFIG_FILE": p, "HOME": "/nonexistent"}
	if r := runCLI(t, env, "--os-cloud", "test", "show", "web", "-f", "yaml"); r.code != 0 || !strings.Contains(r.stdout, "name: web") {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	env["OS_CLOUD"] = "absent"
	if r := runCLI(t, env, "list"); r.code != 1 || !strings.Contains(r.stderr, "not found in clouds.yaml") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestTokenAndEndpoint(t *testing.T) {
	f := newFakeAPI(t)
	env := map[string]string{"OS_TOKEN": "tok", "OS_ENDPOINT": f.srv.URL + "/v1"}
	if r := runCLI(t, env, "show", "web", "--format", "json"); r.code != 0 || !strings.Contains(r.stdout, `"uuid": "6c1d-web"`) {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
