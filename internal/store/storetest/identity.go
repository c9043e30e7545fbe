package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// testIdentityAdmin covers updates, deletes, domains and domain
// assignments.
func testIdentityAdmin(t *testing.T, s store.Store) {
	ctx := system()
	id := s.Identity()

	def, err := id.GetDomain(ctx, "default")
	noErr(t, err, "GetDomain default")
	if def.Name != "Default" || !def.Enabled {
		t.Fatalf("default domain = %+v", def)
	}
	d := &model.Domain{Name: "acme", Description: "Acme", Enabled: true}
	noErr(t, id.CreateDomain(ctx, d), "CreateDomain")
	wantErr(t, id.CreateDomain(ctx, &model.Domain{Name: "acme"}), errdefs.ErrAlreadyExists, "duplicate domain")
	got, err := id.GetDomain(ctx, "acme")
	noErr(t, err, "GetDomain by name")
	sameJSON(t, got, d, "GetDomain by name")
	domains, err := id.ListDomains(ctx)
	noErr(t, err, "ListDomains")
	if len(domains) != 2 {
		t.Fatalf("ListDomains = %d domains", len(domains))
	}
	ud, err := id.UpdateDomain(ctx, d.ID, func(d *model.Domain) error { d.Enabled = false; d.Description = "off"; return nil })
	noErr(t, err, "UpdateDomain")
	if ud.Enabled || ud.Description != "off" {
		t.Fatalf("UpdateDomain = %+v", ud)
	}
	wantErr(t, func() error {
		_, err := id.UpdateDomain(ctx, d.ID, func(d *model.Domain) error { d.Name = "Default"; return nil })
		return err
	}(), errdefs.ErrAlreadyExists, "rename domain to a used name")
	_, err = id.UpdateDomain(ctx, "nope", func(*model.Domain) error { return nil })
	wantErr(t, err, errdefs.ErrNotFound, "UpdateDomain missing")

	p := &model.Project{Name: "p1", DomainID: d.ID, Enabled: true}
	noErr(t, id.CreateProject(ctx, p), "CreateProject")
	p2 := &model.Project{Name: "p2", DomainID: d.ID, Enabled: true}
	noErr(t, id.CreateProject(ctx, p2), "CreateProject p2")
	u := &model.User{Name: "bob", DomainID: d.ID, PasswordHash: "h1", Enabled: true}
	noErr(t, id.CreateUser(ctx, u), "CreateUser")
	role := &model.Role{Name: "member"}
	noErr(t, id.CreateRole(ctx, role), "CreateRole")
	admin := &model.Role{Name: "admin"}
	noErr(t, id.CreateRole(ctx, admin), "CreateRole admin")

	wantErr(t, id.DeleteDomain(ctx, d.ID), errdefs.ErrConflict, "DeleteDomain with projects")

	up, err := id.UpdateProject(ctx, p.ID, func(p *model.Project) error { p.Description = "x"; p.Enabled = false; return nil })
	noErr(t, err, "UpdateProject")
	if up.Description != "x" || up.Enabled {
		t.Fatalf("UpdateProject = %+v", up)
	}
	_, err = id.UpdateProject(ctx, p.ID, func(p *model.Project) error { p.Name = "p2"; return nil })
	wantErr(t, err, errdefs.ErrAlreadyExists, "rename project to a used name")
	_, err = id.UpdateProject(ctx, p.ID, func(*model.Project) error { return errdefs.ErrFailedPrecondition })
	wantErr(t, err, errdefs.ErrFailedPrecondition, "UpdateProject aborted by fn")
	uu, err := id.UpdateUser(ctx, u.ID, func(u *model.User) error { u.PasswordHash = "h2"; u.Enabled = false; return nil })
	noErr(t, err, "UpdateUser")
	again, err := id.GetUser(ctx, u.ID, "")
	noErr(t, err, "GetUser")
	if uu.PasswordHash != "h2" || again.PasswordHash != "h2" || again.Enabled {
		t.Fatalf("UpdateUser = %+v, stored %+v", uu, again)
	}
	_, err = id.UpdateUser(ctx, "nope", func(*model.User) error { return nil })
	wantErr(t, err, errdefs.ErrNotFound, "UpdateUser missing")

	for _, a := range []model.RoleAssignment{
		{UserID: u.ID, ProjectID: p.ID, RoleID: role.ID},
		{UserID: u.ID, ProjectID: p2.ID, RoleID: role.ID},
		{UserID: u.ID, DomainID: d.ID, RoleID: admin.ID},
		{UserID: u.ID, DomainID: d.ID, RoleID: admin.ID}, // idempotent
	} {
		noErr(t, id.Assign(ctx, a), "Assign")
	}
	wantErr(t, id.Assign(ctx, model.RoleAssignment{UserID: u.ID, RoleID: role.ID}), errdefs.ErrInvalidArgument, "Assign without target")
	names, err := id.DomainRolesOf(ctx, u.ID, d.ID)
	noErr(t, err, "DomainRolesOf")
	if !slices.Equal(names, []string{"admin"}) {
		t.Fatalf("DomainRolesOf = %v", names)
	}
	all, err := id.ListAssignments(ctx, model.RoleAssignment{UserID: u.ID})
	noErr(t, err, "ListAssignments by user")
	if len(all) != 3 {
		t.Fatalf("ListAssignments by user = %+v", all)
	}
	byProject, err := id.ListAssignments(ctx, model.RoleAssignment{ProjectID: p.ID})
	noErr(t, err, "ListAssignments by project")
	if len(byProject) != 1 || byProject[0] != (model.RoleAssignment{UserID: u.ID, ProjectID: p.ID, RoleID: role.ID}) {
		t.Fatalf("ListAssignments by project = %+v", byProject)
	}
	byDomain, err := id.ListAssignments(ctx, model.RoleAssignment{DomainID: d.ID, RoleID: admin.ID})
	noErr(t, err, "ListAssignments by domain")
	if len(byDomain) != 1 || byDomain[0].DomainID != d.ID || byDomain[0].ProjectID != "" {
		t.Fatalf("ListAssignments by domain = %+v", byDomain)
	}

	noErr(t, id.Unassign(ctx, model.RoleAssignment{UserID: u.ID, ProjectID: p2.ID, RoleID: role.ID}), "Unassign")
	wantErr(t, id.Unassign(ctx, model.RoleAssignment{UserID: u.ID, ProjectID: p2.ID, RoleID: role.ID}), errdefs.ErrNotFound, "Unassign again")
	noErr(t, id.Unassign(ctx, model.RoleAssignment{UserID: u.ID, DomainID: d.ID, RoleID: admin.ID}), "Unassign domain")

	noErr(t, id.DeleteProject(ctx, p.ID), "DeleteProject")
	wantErr(t, id.DeleteProject(ctx, p.ID), errdefs.ErrNotFound, "DeleteProject again")
	_, err = id.GetProject(ctx, p.ID, "")
	wantErr(t, err, errdefs.ErrNotFound, "GetProject after delete")
	left, err := id.ListAssignments(ctx, model.RoleAssignment{UserID: u.ID})
	noErr(t, err, "ListAssignments after project delete")
	if len(left) != 0 {
		t.Fatalf("assignments of a deleted project remain: %+v", left)
	}
	noErr(t, id.Assign(ctx, model.RoleAssignment{UserID: u.ID, ProjectID: p2.ID, RoleID: role.ID}), "Assign again")
	noErr(t, id.DeleteRole(ctx, role.ID), "DeleteRole")
	wantErr(t, id.DeleteRole(ctx, role.ID), errdefs.ErrNotFound, "DeleteRole again")
	if left, _ := id.ListAssignments(ctx, model.RoleAssignment{UserID: u.ID}); len(left) != 0 {
		t.Fatalf("assignments of a deleted role remain: %+v", left)
	}
	noErr(t, id.Assign(ctx, model.RoleAssignment{UserID: u.ID, DomainID: d.ID, RoleID: admin.ID}), "Assign domain")
	noErr(t, id.DeleteUser(ctx, u.ID), "DeleteUser")
	wantErr(t, id.DeleteUser(ctx, u.ID), errdefs.ErrNotFound, "DeleteUser again")
	if left, _ := id.ListAssignments(ctx, model.RoleAssignment{DomainID: d.ID}); len(left) != 0 {
		t.Fatalf("assignments of a deleted user remain: %+v", left)
	}
	noErr(t, id.DeleteProject(ctx, p2.ID), "DeleteProject p2")
	noErr(t, id.DeleteDomain(ctx, d.ID), "DeleteDomain")
	wantErr(t, id.DeleteDomain(ctx, d.ID), errdefs.ErrNotFound, "DeleteDomain again")
}

// testIdentityTokens covers revocation events and signing keys.
func testIdentityTokens(t *testing.T, s store.Store) {
	ctx := system()
	id := s.Identity()
	now := time.Now().UTC().Truncate(time.Microsecond)
	wantErr(t, id.AddRevocation(ctx, model.Revocation{IssuedBefore: now, ExpiresAt: now.Add(time.Hour)}),
		errdefs.ErrInvalidArgument, "revocation matching everything")
	events := []model.Revocation{
		{AuditID: "a1", IssuedBefore: now, ExpiresAt: now.Add(time.Hour)},
		{UserID: "u1", ProjectID: "p1", IssuedBefore: now, ExpiresAt: now.Add(2 * time.Hour)},
		{DomainID: "d1", IssuedBefore: now, ExpiresAt: now.Add(time.Minute)},
	}
	for _, e := range events {
		noErr(t, id.AddRevocation(ctx, e), "AddRevocation")
	}
	got, err := id.ListRevocations(ctx, now)
	noErr(t, err, "ListRevocations")
	sameJSON(t, got, events, "ListRevocations")
	got, err = id.ListRevocations(ctx, now.Add(30*time.Minute))
	noErr(t, err, "ListRevocations later")
	sameJSON(t, got, events[:2], "ListRevocations later")
	noErr(t, id.PruneRevocations(ctx, now.Add(30*time.Minute)), "PruneRevocations")
	got, err = id.ListRevocations(ctx, now) // the expired one is gone for good
	noErr(t, err, "ListRevocations after prune")
	if len(got) != 2 {
		t.Fatalf("ListRevocations after prune = %+v", got)
	}

	k1 := model.SigningKey{ID: "k1", PublicKey: []byte{1, 2, 3}, CreatedAt: now}
	k2 := model.SigningKey{ID: "k2", PublicKey: []byte{4, 5, 6}, CreatedAt: now.Add(time.Second)}
	noErr(t, id.AddSigningKey(ctx, k1), "AddSigningKey")
	noErr(t, id.AddSigningKey(ctx, k1), "AddSigningKey again")
	noErr(t, id.AddSigningKey(ctx, k2), "AddSigningKey k2")
	noErr(t, id.RetireSigningKeys(ctx, "k2", now.Add(time.Hour)), "RetireSigningKeys")
	noErr(t, id.RetireSigningKeys(ctx, "k2", now.Add(time.Minute)), "RetireSigningKeys again keeps the first expiry")
	keys, err := id.ListSigningKeys(ctx, now)
	noErr(t, err, "ListSigningKeys")
	if len(keys) != 2 || keys[0].ID != "k1" || !keys[0].ExpiresAt.Equal(now.Add(time.Hour)) ||
		keys[1].ID != "k2" || !keys[1].ExpiresAt.IsZero() || !bytes.Equal(keys[1].PublicKey, k2.PublicKey) {
		t.Fatalf("ListSigningKeys = %+v", keys)
	}
	keys, err = id.ListSigningKeys(ctx, now.Add(2*time.Hour))
	noErr(t, err, "ListSigningKeys later")
	if len(keys) != 1 || keys[0].ID != "k2" {
		t.Fatalf("ListSigningKeys after expiry = %+v", keys)
	}
}
