package identity

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

type assignmentsBody struct {
	RoleAssignments []assignmentView `json:"role_assignments"`
}

func TestGrantAndCheckRole(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	ctx := context.Background()
	reader, _ := e.st.GetRole(ctx, RoleReader)
	member, _ := e.st.GetRole(ctx, RoleMember)
	path := func(project, user, role string) string {
		return "/v3/projects/" + project + "/users/" + user + "/roles/" + role
	}
	readerPath := path(e.demoID, e.aliceID, reader.ID)

	status, raw := e.call("HEAD", readerPath, admin, nil, nil)
	if status != http.StatusNotFound {
		t.Fatalf("check before grant: %d %s", status, raw)
	}
	status, raw = e.call("GET", readerPath, admin, nil, nil)
	wantError(t, "GET check before grant", status, raw, http.StatusNotFound)
	for range 2 { // granting twice is fine
		if status, raw := e.call("PUT", readerPath, admin, nil, nil); status != http.StatusNoContent || raw != "" {
			t.Fatalf("grant: %d %s", status, raw)
		}
	}
	for _, m := range []string{"HEAD", "GET"} {
		if status, raw := e.call(m, readerPath, admin, nil, nil); status != http.StatusNoContent {
			t.Fatalf("%s check after grant: %d %s", m, status, raw)
		}
	}
	// The next token of alice carries the new role.
	_, tr := e.issue(passwordAuth(map[string]any{"id": e.aliceID}, alicePassword, projectScope("demo")))
	var names []string
	for _, r := range tr.Token.Roles {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"member", "reader"}) {
		t.Fatalf("alice's roles: %v", tr.Token.Roles)
	}
	var grants struct {
		Roles []roleListItem `json:"roles"`
	}
	if status, raw := e.call("GET", "/v3/projects/"+e.demoID+"/users/"+e.aliceID+"/roles", admin, nil, &grants); status != http.StatusOK ||
		len(grants.Roles) != 2 || grants.Roles[0].ID != member.ID || grants.Roles[1].ID != reader.ID {
		t.Fatalf("list grants: %d %s", status, raw)
	}

	for name, c := range map[string]struct {
		path string
		want int
	}{
		"unknown role":    {path(e.demoID, e.aliceID, "nope"), http.StatusNotFound},
		"role by name":    {path(e.demoID, e.aliceID, "reader"), http.StatusNotFound},
		"unknown user":    {path(e.demoID, "nope", reader.ID), http.StatusNotFound},
		"user by name":    {path(e.demoID, "alice", reader.ID), http.StatusNotFound},
		"unknown project": {path("nope", e.aliceID, reader.ID), http.StatusNotFound},
		"project by name": {path("demo", e.aliceID, reader.ID), http.StatusNotFound},
	} {
		status, raw := e.call("PUT", c.path, admin, nil, nil)
		wantError(t, name, status, raw, c.want)
	}
	adminRole, _ := e.st.GetRole(ctx, RoleAdmin)
	alice := e.aliceToken(projectScope("demo"))
	status, raw = e.call("PUT", path(e.demoID, e.aliceID, adminRole.ID), alice, nil, nil)
	wantError(t, "alice grants herself admin", status, raw, http.StatusForbidden)
	status, raw = e.call("GET", readerPath, alice, nil, nil)
	wantError(t, "alice checks", status, raw, http.StatusForbidden)
	if got, _ := e.st.RolesOf(ctx, e.aliceID, e.demoID); slices.Contains(got, RoleAdmin) {
		t.Fatal("alice became admin")
	}
	status, raw = e.call("DELETE", readerPath, admin, nil, nil)
	if status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, raw)
	}
	status, raw = e.call("GET", readerPath, admin, nil, nil)
	wantError(t, "check after revoke", status, raw, http.StatusNotFound)
	status, raw = e.call("DELETE", readerPath, admin, nil, nil)
	wantError(t, "revoke again", status, raw, http.StatusNotFound)
}

func TestRoleAssignments(t *testing.T) {
	e := newEnv(t)
	admin := e.adminToken()
	ctx := context.Background()
	member, _ := e.st.GetRole(ctx, RoleMember)
	adminUser, _ := e.st.GetUser(ctx, "admin", DefaultDomainID)
	list := func(query, token string) []assignmentView {
		t.Helper()
		var b assignmentsBody
		status, raw := e.call("GET", "/v3/role_assignments"+query, token, nil, &b)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", query, status, raw)
		}
		return b.RoleAssignments
	}
	if got := list("", admin); len(got) != 4 { // admin's three on admin, alice's member on demo
		t.Fatalf("all: %+v", got)
	}
	got := list("?user.id="+e.aliceID+"&scope.project.id="+e.demoID+"&effective", admin)
	if len(got) != 1 || got[0].Role.ID != member.ID || got[0].User.ID != e.aliceID || got[0].Scope.Project.ID != e.demoID ||
		got[0].Role.Name != "" || got[0].Links["assignment"] != e.base+"/identity/v3/projects/"+e.demoID+"/users/"+e.aliceID+"/roles/"+member.ID {
		t.Fatalf("alice on demo: %+v", got)
	}
	got = list("?user.id="+e.aliceID+"&include_names=1", admin)
	if len(got) != 1 || got[0].Role.Name != "member" || got[0].User.Name != "alice" || got[0].Scope.Project.Name != "demo" ||
		got[0].User.Domain == nil || got[0].User.Domain.Name != "Default" {
		t.Fatalf("with names: %+v", got)
	}
	if got := list("?role.id="+member.ID, admin); len(got) != 2 {
		t.Fatalf("members: %+v", got)
	}
	for _, q := range []string{"?user.id=nope", "?scope.project.id=nope", "?group.id=g", "?scope.domain.id=default",
		"?scope.system=all", "?user.id=" + adminUser.ID + "&scope.project.id=" + e.demoID} {
		if got := list(q, admin); len(got) != 0 {
			t.Errorf("%s: %+v", q, got)
		}
	}
	// Alice may list her own assignments only.
	alice := e.aliceToken(projectScope("demo"))
	if got := list("?user.id="+e.aliceID, alice); len(got) != 1 {
		t.Fatalf("alice's own: %+v", got)
	}
	for _, q := range []string{"", "?user.id=" + adminUser.ID, "?scope.project.id=" + e.demoID} {
		status, raw := e.call("GET", "/v3/role_assignments"+q, alice, nil, nil)
		wantError(t, "alice lists "+q, status, raw, http.StatusForbidden)
	}
}
