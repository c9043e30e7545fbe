package identity

import (
	"context"
	"slices"
	"testing"
)

// TestOpenstackCLIAdmin drives the admin commands of Debian's
// python3-openstackclient: project and user create, list and show, role
// add and role assignment list, then logs in as the new user.
func TestOpenstackCLIAdmin(t *testing.T) {
	// Python's start-up dominates; overlap it with the other tests.
	t.Parallel()
	e := newBareEnv(t, nil)
	out := openstackBatch(t, e, adminCreds,
		"project create --description Demo demo -f json",
		"user create --project demo --password secret123 alice -f json",
		"role add --project demo --user alice member",
		"role add --project demo --user alice member", // again: a no-op, as in Keystone
		"project list -f json",
		"user list -f json",
		"project show demo -f json",
		"user show alice -f json",
		"domain show Default -f json",
		"role assignment list --user alice --project demo --names -f json",
		"role assignment list --user alice --project demo -f json",
		"role assignment list --project admin --names -f json",
	)
	demo, alice := out[0][0], out[1][0]
	if demo["name"] != "demo" || demo["domain_id"] != "default" || demo["enabled"] != true || demo["id"] == "" {
		t.Fatalf("project create: %v", demo)
	}
	if alice["name"] != "alice" || alice["default_project_id"] != demo["id"] || alice["enabled"] != true {
		t.Fatalf("user create: %v", alice)
	}
	if _, ok := alice["password"]; ok {
		t.Fatalf("user create shows a password: %v", alice)
	}
	if got := column(out[4], "Name"); !slices.Equal(got, []string{"admin", "demo", "service"}) {
		t.Errorf("project list: %v", got)
	}
	if got := column(out[5], "Name"); !slices.Equal(got, []string{"admin", "alice"}) {
		t.Errorf("user list: %v", got)
	}
	if got := out[6][0]; got["id"] != demo["id"] || got["description"] != "Demo" {
		t.Errorf("project show: %v", got)
	}
	if got := out[7][0]; got["id"] != alice["id"] {
		t.Errorf("user show: %v", got)
	}
	if got := out[8][0]; got["id"] != DefaultDomainID {
		t.Errorf("domain show: %v", got)
	}
	if rows := out[9]; len(rows) != 1 || rows[0]["Role"] != "member" || rows[0]["User"] != "alice@Default" || rows[0]["Project"] != "demo@Default" {
		t.Errorf("role assignment list --names: %v", rows)
	}
	if rows := out[10]; len(rows) != 1 || rows[0]["User"] != alice["id"] || rows[0]["Project"] != demo["id"] {
		t.Errorf("role assignment list: %v", rows)
	}
	if got := column(out[11], "Role"); !slices.Equal(got, []string{"admin", "member", "reader"}) {
		t.Errorf("role assignment list --project admin: %v", got)
	}

	tok := openstackBatch(t, e, osCreds{"alice", "secret123", "demo"}, "token issue -f json")[0][0]
	if tok["user_id"] != alice["id"] || tok["project_id"] != demo["id"] {
		t.Fatalf("alice's token issue: %v", tok)
	}
	id, _, err := e.svc.Validate(context.Background(), tok["id"].(string))
	if err != nil || !slices.Equal(id.Roles, []string{"member"}) || id.ProjectID != demo["id"] {
		t.Fatalf("alice's token: %+v, %v", id, err)
	}
}
