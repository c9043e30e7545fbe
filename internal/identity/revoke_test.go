package identity

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
)

// valid reports whether v accepts tok.
func valid(v Validator, tok string) bool {
	_, _, err := v.Validate(context.Background(), tok)
	return err == nil
}

// TestRevokeToken: DELETE /v3/auth/tokens refuses the token at once in
// this process and, within the refresh bound, in another verifier of the
// same database that had it cached.
func TestRevokeToken(t *testing.T) {
	e := newEnv(t)
	other := NewStoreVerifier(e.st, 50*time.Millisecond, nil)
	alice := e.aliceToken(projectScope("demo"))
	keep := e.aliceToken(projectScope("demo"))
	if !valid(other, alice) || !valid(e.svc, alice) {
		t.Fatal("fresh token refused")
	}
	resp, raw := e.do("DELETE", "/v3/auth/tokens", nil, map[string]string{"X-Auth-Token": alice, "X-Subject-Token": alice})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, raw)
	}
	if valid(e.svc, alice) {
		t.Fatal("revoked token still valid in the revoking process")
	}
	deadline := time.Now().Add(5 * time.Second)
	for valid(other, alice) {
		if time.Now().After(deadline) {
			t.Fatal("the other verifier never learnt the revocation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !valid(e.svc, keep) || !valid(other, keep) {
		t.Fatal("revoking one token revoked another of the same user")
	}
	status, _ := e.call("GET", "/v3/users/"+e.aliceID, alice, nil, nil)
	if status != http.StatusUnauthorized {
		t.Fatalf("revoked token used: %d", status)
	}
	// A fresh process (new verifier) reads the persisted revocation.
	if valid(NewStoreVerifier(e.st, time.Second, nil), alice) {
		t.Fatal("revocation not persisted")
	}
	// Another user's token cannot be revoked by alice; admin can.
	admin := e.adminToken()
	resp, _ = e.do("DELETE", "/v3/auth/tokens", nil, map[string]string{"X-Auth-Token": keep, "X-Subject-Token": admin})
	if resp.StatusCode != http.StatusForbidden || !valid(e.svc, admin) {
		t.Fatalf("alice revoked admin's token: %d", resp.StatusCode)
	}
	resp, _ = e.do("DELETE", "/v3/auth/tokens", nil, map[string]string{"X-Auth-Token": admin, "X-Subject-Token": keep})
	if resp.StatusCode != http.StatusNoContent || valid(e.svc, keep) {
		t.Fatalf("admin revoke: %d", resp.StatusCode)
	}
}

// TestRevocationEvents: the changes that must log a user out do.
func TestRevocationEvents(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	ctx := context.Background()
	member, _ := e.st.GetRole(ctx, RoleMember)
	grant := "/v3/projects/" + e.demoID + "/users/" + e.aliceID + "/roles/" + member.ID

	// Role removal revokes alice's tokens on demo; a new grant lets her in again.
	tok := e.aliceToken(projectScope("demo"))
	if status, raw := e.call("DELETE", grant, admin, nil, nil); status != http.StatusNoContent {
		t.Fatalf("role remove: %d %s", status, raw)
	}
	if valid(e.svc, tok) {
		t.Fatal("token valid after role removal")
	}
	if status, raw := e.call("PUT", grant, admin, nil, nil); status != http.StatusNoContent {
		t.Fatalf("role add: %d %s", status, raw)
	}
	tok = e.aliceToken(projectScope("demo"))
	if !valid(e.svc, tok) {
		t.Fatal("token issued after the re-grant refused")
	}

	// Password change by an admin.
	if status, raw := e.call("PATCH", "/v3/users/"+e.aliceID, admin, map[string]any{"user": map[string]any{"password": "new-password-1"}}, nil); status != http.StatusOK {
		t.Fatalf("user set --password: %d %s", status, raw)
	}
	if valid(e.svc, tok) {
		t.Fatal("token valid after password change")
	}
	resp, _ := e.do("POST", "/v3/auth/tokens", passwordAuth(map[string]any{"id": e.aliceID}, alicePassword, nil), nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old password: %d", resp.StatusCode)
	}
	tok, _ = e.issue(passwordAuth(map[string]any{"id": e.aliceID}, "new-password-1", projectScope("demo")))

	// Disabling the project.
	if status, raw := e.call("PATCH", "/v3/projects/"+e.demoID, admin, map[string]any{"project": map[string]any{"enabled": false}}, nil); status != http.StatusOK {
		t.Fatalf("project set --disable: %d %s", status, raw)
	}
	if valid(e.svc, tok) {
		t.Fatal("token valid on a disabled project")
	}
	if status, _ := e.call("PATCH", "/v3/projects/"+e.demoID, admin, map[string]any{"project": map[string]any{"enabled": true}}, nil); status != http.StatusOK {
		t.Fatal("enable project")
	}
	tok, _ = e.issue(passwordAuth(map[string]any{"id": e.aliceID}, "new-password-1", projectScope("demo")))

	// Deleting the user; its assignments go too.
	if status, raw := e.call("DELETE", "/v3/users/"+e.aliceID, admin, nil, nil); status != http.StatusNoContent {
		t.Fatalf("user delete: %d %s", status, raw)
	}
	if valid(e.svc, tok) {
		t.Fatal("token of a deleted user valid")
	}
	if as, _ := e.st.ListAssignments(ctx, model.RoleAssignment{UserID: e.aliceID}); len(as) != 0 {
		t.Fatalf("assignments of a deleted user: %+v", as)
	}
	// Deleting the project revokes its tokens (admin's own on demo here).
	if status, _ := e.call("PUT", "/v3/projects/"+e.demoID+"/users/"+adminUserID(t, e)+"/roles/"+member.ID, admin, nil, nil); status != http.StatusNoContent {
		t.Fatal("grant admin on demo")
	}
	adminDemo, _ := e.issue(passwordAuth(map[string]any{"name": "admin", "domain": map[string]any{"id": "default"}}, adminPassword, projectScope("demo")))
	if status, raw := e.call("DELETE", "/v3/projects/"+e.demoID, admin, nil, nil); status != http.StatusNoContent {
		t.Fatalf("project delete: %d %s", status, raw)
	}
	if valid(e.svc, adminDemo) || !valid(e.svc, admin) {
		t.Fatal("project delete revoked the wrong tokens")
	}
}

func adminUserID(t *testing.T, e *env) string {
	u, err := e.st.GetUser(context.Background(), "admin", DefaultDomainID)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestDomainScope: domains are created and managed, users log in to
// projects of other domains, and a domain-scoped admin token works for
// admin calls; unscoped tokens get no catalog.
func TestDomainScope(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	var d struct{ Domain domainItem }
	if status, raw := e.call("POST", "/v3/domains", admin, map[string]any{"domain": map[string]any{"name": "acme"}}, &d); status != http.StatusCreated {
		t.Fatalf("domain create: %d %s", status, raw)
	}
	status, raw := e.call("POST", "/v3/domains", admin, map[string]any{"domain": map[string]any{"name": "acme"}}, nil)
	wantError(t, "duplicate domain", status, raw, http.StatusConflict)
	var p struct{ Project projectListItem }
	if status, raw := e.call("POST", "/v3/projects", admin, map[string]any{"project": map[string]any{"name": "demo", "domain_id": d.Domain.ID}}, &p); status != http.StatusCreated {
		t.Fatalf("same project name in another domain: %d %s", status, raw)
	}
	var u struct{ User userListItem }
	if status, raw := e.call("POST", "/v3/users", admin, map[string]any{"user": map[string]any{"name": "alice", "domain_id": d.Domain.ID, "password": "acme-alice-pw"}}, &u); status != http.StatusCreated {
		t.Fatalf("user in acme: %d %s", status, raw)
	}
	adminRole, _ := e.st.GetRole(context.Background(), RoleAdmin)
	for _, path := range []string{
		"/v3/domains/" + d.Domain.ID + "/users/" + u.User.ID + "/roles/" + adminRole.ID,
		"/v3/projects/" + p.Project.ID + "/users/" + u.User.ID + "/roles/" + adminRole.ID,
	} {
		if status, raw := e.call("PUT", path, admin, nil, nil); status != http.StatusNoContent {
			t.Fatalf("grant %s: %d %s", path, status, raw)
		}
	}
	user := map[string]any{"name": "alice", "domain": map[string]any{"name": "acme"}}
	dtok, tr := e.issue(passwordAuth(user, "acme-alice-pw", map[string]any{"domain": map[string]any{"name": "acme"}}))
	if tr.Token.Project != nil || len(tr.Token.Catalog) == 0 || len(tr.Token.Roles) != 1 {
		t.Fatalf("domain token: %+v", tr.Token)
	}
	id, _, err := e.svc.Validate(context.Background(), dtok)
	if err != nil || id.DomainID != d.Domain.ID || id.ProjectID != "" {
		t.Fatalf("domain token identity: %+v %v", id, err)
	}
	if status, raw := e.call("GET", "/v3/users", dtok, nil, nil); status != http.StatusOK {
		t.Fatalf("domain admin lists users: %d %s", status, raw)
	}
	ptok, tr := e.issue(passwordAuth(user, "acme-alice-pw", map[string]any{"project": map[string]any{"name": "demo", "domain": map[string]any{"id": d.Domain.ID}}}))
	if tr.Token.Project == nil || tr.Token.Project.ID != p.Project.ID || tr.Token.Project.Domain.Name != "acme" {
		t.Fatalf("acme project token: %+v", tr.Token)
	}
	for _, sc := range []any{"unscoped", nil} {
		_, tr = e.issue(passwordAuth(user, "acme-alice-pw", sc))
		if tr.Token.Project != nil || len(tr.Token.Catalog) != 0 || len(tr.Token.Roles) != 0 {
			t.Fatalf("unscoped token: %+v", tr.Token)
		}
	}
	// Disabling the domain revokes its tokens and refuses logins.
	if status, raw := e.call("PATCH", "/v3/domains/"+d.Domain.ID, admin, map[string]any{"domain": map[string]any{"enabled": false}}, nil); status != http.StatusOK {
		t.Fatalf("domain disable: %d %s", status, raw)
	}
	if valid(e.svc, dtok) || valid(e.svc, ptok) {
		t.Fatal("tokens of a disabled domain valid")
	}
	if resp, _ := e.do("POST", "/v3/auth/tokens", passwordAuth(user, "acme-alice-pw", nil), nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login in a disabled domain: %d", resp.StatusCode)
	}
	status, raw = e.call("DELETE", "/v3/domains/"+d.Domain.ID, admin, nil, nil)
	wantError(t, "delete a domain with users", status, raw, http.StatusConflict)
	for _, path := range []string{"/v3/users/" + u.User.ID, "/v3/projects/" + p.Project.ID, "/v3/domains/" + d.Domain.ID} {
		if status, raw := e.call("DELETE", path, admin, nil, nil); status != http.StatusNoContent {
			t.Fatalf("delete %s: %d %s", path, status, raw)
		}
	}
	status, raw = e.call("DELETE", "/v3/domains/default", admin, nil, nil)
	wantError(t, "delete default domain", status, raw, http.StatusForbidden)
}

// TestKeyRotation: after RotateKey, old tokens stay valid (here and in
// another verifier), new tokens carry the new key id, and the old key is
// dropped once its tokens have expired.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	other := NewStoreVerifier(e.st, 20*time.Millisecond, nil)
	oldKID := e.svc.signer.Load().kid
	old := e.aliceToken(projectScope("demo"))
	before, _ := os.ReadFile(e.keyFile)
	kid, err := RotateKey(context.Background(), e.keyFile, DefaultTokenTTL, e.st)
	if err != nil || kid == oldKID {
		t.Fatalf("rotate: %q %v", kid, err)
	}
	after, _ := os.ReadFile(e.keyFile)
	if string(before) == string(after) {
		t.Fatal("key file unchanged")
	}
	if st, err := os.Stat(e.keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("rotated key file mode: %v %v", st.Mode(), err)
	}
	// The service notices the new file within its refresh bound.
	e.svc.keyCheckedAt.Store(0)
	fresh := e.aliceToken(projectScope("demo"))
	if got := tokenKID(t, fresh); got != kid {
		t.Fatalf("new token signed by %q, want %q", got, kid)
	}
	if tokenKID(t, old) != oldKID {
		t.Fatal("old token key id")
	}
	for _, v := range []Validator{e.svc, other, NewStoreVerifier(e.st, time.Second, nil)} {
		if !valid(v, old) || !valid(v, fresh) {
			t.Fatal("a token refused after rotation")
		}
	}
	keys, err := e.st.ListSigningKeys(context.Background(), time.Now().Add(DefaultTokenTTL+2*maxSkew))
	if err != nil || len(keys) != 1 || keys[0].ID != kid {
		t.Fatalf("keys after the old key's tokens expired: %+v %v", keys, err)
	}
}

func tokenKID(t *testing.T, tok string) string {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 2+int(raw[1]) {
		t.Fatalf("token: %v", err)
	}
	return string(raw[2 : 2+raw[1]])
}
