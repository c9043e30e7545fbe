package keystonetest

import (
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// TestKeystone: the throwaway Keystone issues tokens, manages projects and
// users, and serves the openstack CLI.
func TestKeystone(t *testing.T) {
	k := Shared(t)
	p := k.CreateProject(t, "kstest-demo")
	if got := k.ProjectID(t, "kstest-demo"); got != p {
		t.Fatalf("ProjectID = %q, want %q", got, p)
	}
	k.CreateUser(t, "kstest-alice", "alice-pw", p, "member")
	tok := k.Token(t, Credentials{User: "kstest-alice", Password: "alice-pw", Project: "kstest-demo"})
	if tok == "" {
		t.Fatal("empty token")
	}
	out := k.Openstack(t, Admin, "role", "list", "-f", "value", "-c", "Name")
	for _, r := range []string{"admin", "member", "reader"} {
		if !strings.Contains(out, r) {
			t.Errorf("role list %q lacks %s", out, r)
		}
	}
	if _, err := k.IssueToken(t.Context(), Credentials{User: "kstest-alice", Password: "wrong", Project: "kstest-demo"}); err == nil {
		t.Error("wrong password accepted")
	}
}
