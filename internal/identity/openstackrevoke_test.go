package identity

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

// TestOpenstackCLILifecycle drives Debian's python3-openstackclient
// through the calls of issue 3: project, user, domain and role create,
// role add, token issue and revoke, user delete, then a key rotation.
func TestOpenstackCLILifecycle(t *testing.T) {
	t.Parallel()
	e := newBareEnv(t, nil)
	out := openstackBatch(t, e, adminCreds,
		"project create p1 -f json",
		"user create --project p1 --password bob-password-1 bob -f json",
		"role add --project p1 --user bob member",
		"role create custom -f json",
		"role list -f json",
		"role delete custom",
		"domain create acme -f json",
		"domain list -f json",
		"domain show acme -f json",
		"role assignment list --user bob --names -f json",
	)
	p1, bob := out[0][0], out[1][0]
	if got := column(out[4], "Name"); !slices.Equal(got, []string{"admin", "custom", "member", "reader"}) {
		t.Errorf("role list: %v", got)
	}
	if got := column(out[7], "Name"); !slices.Equal(got, []string{"Default", "acme"}) {
		t.Errorf("domain list: %v", got)
	}
	if out[8][0]["name"] != "acme" || out[8][0]["enabled"] != true {
		t.Errorf("domain show: %v", out[8][0])
	}
	if rows := out[9]; len(rows) != 1 || rows[0]["Role"] != "member" || rows[0]["Project"] != "p1@Default" {
		t.Errorf("role assignment list: %v", rows)
	}

	// One CLI session reuses its token: the second comes over HTTP.
	toks := openstackBatch(t, e, osCreds{"bob", "bob-password-1", "p1"}, "token issue -f json")
	tok1 := toks[0][0]["id"].(string)
	tok2, _ := e.issue(passwordAuth(map[string]any{"name": "bob", "domain": map[string]any{"id": "default"}}, "bob-password-1", projectScope("p1")))
	if toks[0][0]["project_id"] != p1["id"] || toks[0][0]["user_id"] != bob["id"] || tok1 == tok2 {
		t.Fatalf("bob's tokens: %v", toks)
	}
	openstackBatch(t, e, adminCreds, "token revoke "+tok1)
	if status, _ := e.call("GET", "/v3/users/"+bob["id"].(string), tok1, nil, nil); status != http.StatusUnauthorized {
		t.Fatalf("revoked token used: %d", status)
	}
	if status, raw := e.call("GET", "/v3/users/"+bob["id"].(string), tok2, nil, nil); status != http.StatusOK {
		t.Fatalf("other token of bob: %d %s", status, raw)
	}
	out = openstackBatch(t, e, adminCreds, "user delete bob", "project delete p1", "project list -f json")
	if status, _ := e.call("GET", "/v3/auth/projects", tok2, nil, nil); status != http.StatusUnauthorized {
		t.Fatalf("token of a deleted user used: %d", status)
	}
	if got := column(out[2], "Name"); !slices.Equal(got, []string{"admin", "service"}) {
		t.Errorf("project list after delete: %v", got)
	}

	// Key rotation: the admin's earlier token keeps working, new ones use
	// the new key.
	old := e.adminToken()
	kid, err := RotateKey(context.Background(), e.keyFile, DefaultTokenTTL, e.st)
	if err != nil {
		t.Fatal(err)
	}
	e.svc.keyCheckedAt.Store(0)
	fresh := openstackBatch(t, e, adminCreds, "token issue -f json")[0][0]["id"].(string)
	if tokenKID(t, fresh) != kid || tokenKID(t, old) == kid {
		t.Fatalf("key ids: new token %s, old %s, rotated to %s", tokenKID(t, fresh), tokenKID(t, old), kid)
	}
	for _, tok := range []string{old, fresh} {
		if status, raw := e.call("GET", "/v3/users", tok, nil, nil); status != http.StatusOK {
			t.Fatalf("token after rotation: %d %s", status, raw)
		}
	}
}
