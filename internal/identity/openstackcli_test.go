package identity

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// osCreds are the OS_* credentials of an openstack CLI run.
type osCreds struct{ user, password, project string }

var adminCreds = osCreds{"admin", adminPassword, "admin"}

// openstackBatch runs cmds in one interactive openstack CLI session as
// creds (one interpreter start and one login instead of one per command,
// which matters on a loaded machine) and returns the JSON output of each
// command, nil for commands that print nothing ("role add"). Commands that
// print must ask for "-f json". A failing command fails the test. The
// session splits commands at blanks, quotes do not group.
func openstackBatch(t *testing.T, e *env, creds osCreds, cmds ...string) [][]map[string]any {
	t.Helper()
	bin, err := exec.LookPath("openstack")
	if err != nil {
		t.Skip("python3-openstackclient is not installed")
	}
	cmd := exec.Command(bin)
	cmd.Env = osEnv(e, creds)
	cmd.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	t.Logf("openstack batch of %d commands: %v", len(cmds), time.Since(start).Round(time.Millisecond))
	// In interactive mode a failing command only prints to stderr.
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("openstack batch %q: %v\n%s", cmds, err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	res := make([][]map[string]any, len(cmds))
	for i, c := range cmds {
		if !strings.Contains(c, "-f json") {
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("openstack %q: output: %v\n%s", c, err, out)
		}
		res[i] = decodeRows(t, c, raw)
	}
	return res
}

func decodeRows(t *testing.T, what string, out []byte) []map[string]any {
	t.Helper()
	if strings.HasPrefix(strings.TrimSpace(string(out)), "{") {
		var row map[string]any
		if err := json.Unmarshal(out, &row); err != nil {
			t.Fatalf("openstack %v: %v: %s", what, err, out)
		}
		return []map[string]any{row}
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("openstack %v: %v: %s", what, err, out)
	}
	return rows
}

// osEnv is the environment of an openstack CLI run as creds against e.
func osEnv(e *env, creds osCreds) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"OS_AUTH_URL="+e.url(""),
		"OS_IDENTITY_API_VERSION=3",
		"OS_USERNAME="+creds.user,
		"OS_PASSWORD="+creds.password,
		"OS_PROJECT_NAME="+creds.project,
		"OS_USER_DOMAIN_NAME=Default",
		"OS_PROJECT_DOMAIN_NAME=Default",
	)
}

// column returns the sorted values of key in rows.
func column(rows []map[string]any, key string) []string {
	var out []string
	for _, r := range rows {
		s, _ := r[key].(string)
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// TestOpenstackCLI drives Debian's python3-openstackclient: token issue,
// catalog list and the admin's project, user and role lists.
func TestOpenstackCLI(t *testing.T) {
	// Python's start-up dominates; overlap it with the other tests.
	t.Parallel()
	e := newEnv(t)
	out := openstackBatch(t, e, adminCreds,
		"token issue -f json",
		"catalog list -f json",
		"project list -f json",
		"user list -f json",
		"role list -f json",
	)
	if tok := out[0]; len(tok) != 1 || tok[0]["id"] == "" || tok[0]["project_id"] == "" || tok[0]["user_id"] == "" {
		t.Fatalf("token issue: %v", tok)
	}
	for i, c := range []struct {
		what, key string
		want      []string
	}{
		1: {"catalog list", "Type", []string{"container", "identity"}},
		2: {"project list", "Name", []string{"admin", "demo", "service"}},
		3: {"user list", "Name", []string{"admin", "alice"}},
		4: {"role list", "Name", []string{"admin", "member", "reader"}},
	} {
		if i == 0 {
			continue
		}
		if got := column(out[i], c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, got, c.want)
		}
	}
}
