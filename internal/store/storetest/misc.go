package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

func testServices(t *testing.T, s store.Store) {
	ctx := system()
	sv := s.Services()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6789, time.UTC)
	var last *model.Service
	for i := range 3 {
		v, err := sv.Heartbeat(ctx, "node-1", "zun-compute", "nova", t0.Add(time.Duration(i)*time.Second))
		noErr(t, err, "Heartbeat")
		if v.ReportCount != int64(i+1) {
			t.Fatalf("heartbeat %d: ReportCount = %d", i+1, v.ReportCount)
		}
		last = v
	}
	if want := t0.Add(2 * time.Second).Truncate(time.Microsecond); !last.LastSeenUp.Equal(want) || !microsecond(last.LastSeenUp) {
		t.Fatalf("LastSeenUp = %v, want %v", last.LastSeenUp, want)
	}
	if last.ID == 0 || last.AvailabilityZone != "nova" || last.CreatedAt.IsZero() {
		t.Fatalf("Heartbeat record %+v", last)
	}
	v, err := sv.Heartbeat(ctx, "node-1", "zun-compute", "", t0.Add(3*time.Second))
	noErr(t, err, "Heartbeat without az")
	if v.AvailabilityZone != "nova" || v.ID != last.ID {
		t.Fatalf("Heartbeat without az: %+v", v)
	}
	_, err = sv.Heartbeat(ctx, "node-2", "zun-compute", "nova", t0)
	noErr(t, err, "Heartbeat node-2")

	got, err := sv.Get(ctx, "node-1", "zun-compute")
	noErr(t, err, "Get")
	sameJSON(t, got, v, "Get")
	_, err = sv.Get(ctx, "node-1", "zun-other")
	wantErr(t, err, errdefs.ErrNotFound, "Get missing")
	list, err := sv.List(ctx)
	noErr(t, err, "List")
	if len(list) != 2 || list[0].Host != "node-1" || list[1].Host != "node-2" {
		t.Fatalf("List = %+v", list)
	}

	up, err := sv.Update(ctx, "node-1", "zun-compute", func(s *model.Service) error {
		s.Disabled, s.DisabledReason, s.ForcedDown = true, "maintenance", true
		return nil
	})
	noErr(t, err, "Update")
	if !up.Disabled || up.DisabledReason != "maintenance" || !up.ForcedDown || up.ReportCount != 4 {
		t.Fatalf("Update = %+v", up)
	}
	got, err = sv.Get(ctx, "node-1", "zun-compute")
	noErr(t, err, "Get after Update")
	sameJSON(t, got, up, "Get after Update")
	_, err = sv.Update(ctx, "node-1", "zun-compute", func(*model.Service) error { return errAbort })
	if err != errAbort { //nolint:errorlint // must be returned unchanged
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	_, err = sv.Update(ctx, "nope", "zun-compute", func(*model.Service) error { return nil })
	wantErr(t, err, errdefs.ErrNotFound, "Update missing")

	noErr(t, sv.Delete(ctx, "node-1", "zun-compute"), "Delete")
	wantErr(t, sv.Delete(ctx, "node-1", "zun-compute"), errdefs.ErrNotFound, "Delete twice")
	v, err = sv.Heartbeat(ctx, "node-1", "zun-compute", "nova", t0)
	noErr(t, err, "Heartbeat after delete")
	if v.ReportCount != 1 {
		t.Fatalf("recreated service ReportCount = %d", v.ReportCount)
	}
}

func testActions(t *testing.T, s store.Store) {
	ctx := asProject(projectA)
	as := s.Actions()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	create := &model.Action{ContainerUUID: "c-1", Action: "create", RequestID: "req-1", UserID: "u", ProjectID: projectA, StartTime: t0}
	noErr(t, as.Start(ctx, create), "Start create")
	if create.ID == 0 {
		t.Fatal("Start did not set ID")
	}
	start := &model.Action{ContainerUUID: "c-1", Action: "start", RequestID: "req-2", UserID: "u", ProjectID: projectA, StartTime: t0.Add(time.Minute)}
	noErr(t, as.Start(ctx, start), "Start start")
	noErr(t, as.Start(ctx, &model.Action{ContainerUUID: "c-2", Action: "create", RequestID: "req-1", StartTime: t0}), "Start other container")
	wantErr(t, as.Start(ctx, &model.Action{ContainerUUID: "c-1", Action: "create", RequestID: "req-1", StartTime: t0}),
		errdefs.ErrAlreadyExists, "Start twice")

	noErr(t, as.AddEvent(ctx, "c-1", "req-1", model.Event{Event: "compute__do_container_create", StartTime: t0.Add(time.Second)}), "AddEvent start")
	noErr(t, as.AddEvent(ctx, "c-1", "req-1", model.Event{Event: "compute__do_container_create",
		FinishTime: t0.Add(3 * time.Second), Result: "Success"}), "AddEvent finish")
	noErr(t, as.AddEvent(ctx, "c-1", "req-1", model.Event{Event: "compute__do_container_start", StartTime: t0.Add(4 * time.Second),
		FinishTime: t0.Add(5 * time.Second), Result: "Error", Traceback: "boom"}), "AddEvent second")
	wantErr(t, as.AddEvent(ctx, "c-1", "req-9", model.Event{Event: "x", StartTime: t0}), errdefs.ErrNotFound, "AddEvent missing action")

	noErr(t, as.Finish(ctx, "c-1", "req-1", t0.Add(6*time.Second), "done"), "Finish")
	noErr(t, as.Finish(ctx, "c-1", "req-9", t0, ""), "Finish missing")

	got, err := as.Get(ctx, "c-1", "req-1")
	noErr(t, err, "Get")
	want := &model.Action{ID: create.ID, ContainerUUID: "c-1", Action: "create", RequestID: "req-1", UserID: "u", ProjectID: projectA,
		StartTime: t0, FinishTime: t0.Add(6 * time.Second), Message: "done", Events: []model.Event{
			{Event: "compute__do_container_create", StartTime: t0.Add(time.Second), FinishTime: t0.Add(3 * time.Second), Result: "Success"},
			{Event: "compute__do_container_start", StartTime: t0.Add(4 * time.Second), FinishTime: t0.Add(5 * time.Second), Result: "Error", Traceback: "boom"},
		}}
	sameJSON(t, got, want, "Get")
	_, err = as.Get(ctx, "c-1", "req-9")
	wantErr(t, err, errdefs.ErrNotFound, "Get missing")

	list, err := as.List(ctx, "c-1")
	noErr(t, err, "List")
	if len(list) != 2 || list[0].RequestID != "req-2" || list[1].RequestID != "req-1" {
		t.Fatalf("List is not newest first: %+v", list)
	}
	list, err = as.List(ctx, "c-none")
	noErr(t, err, "List empty")
	if len(list) != 0 {
		t.Fatalf("List of a container without actions: %+v", list)
	}
}

func testIdentity(t *testing.T, s store.Store) {
	ctx := system()
	id := s.Identity()
	p := &model.Project{Name: "demo", DomainID: "default", Description: "demo project", Enabled: true}
	noErr(t, id.CreateProject(ctx, p), "CreateProject")
	if p.ID == "" || p.CreatedAt.IsZero() {
		t.Fatalf("CreateProject did not set ID and CreatedAt: %+v", p)
	}
	wantErr(t, id.CreateProject(ctx, &model.Project{Name: "demo", DomainID: "default"}), errdefs.ErrAlreadyExists, "duplicate project")
	noErr(t, id.CreateProject(ctx, &model.Project{Name: "demo", DomainID: "other", Enabled: true}), "same name, other domain")
	admin := &model.Project{ID: "admin-project-id", Name: "admin", DomainID: "default", Enabled: true}
	noErr(t, id.CreateProject(ctx, admin), "CreateProject with id")
	got, err := id.GetProject(ctx, p.ID, "")
	noErr(t, err, "GetProject by id")
	sameJSON(t, got, p, "GetProject by id")
	got, err = id.GetProject(ctx, "demo", "default")
	noErr(t, err, "GetProject by name")
	sameJSON(t, got, p, "GetProject by name")
	_, err = id.GetProject(ctx, "demo", "nowhere")
	wantErr(t, err, errdefs.ErrNotFound, "GetProject in another domain")
	projects, err := id.ListProjects(ctx)
	noErr(t, err, "ListProjects")
	if len(projects) != 3 {
		t.Fatalf("ListProjects gave %d projects", len(projects))
	}

	u := &model.User{Name: "alice", DomainID: "default", DefaultProjectID: p.ID, PasswordHash: "$2a$hash", Enabled: true}
	noErr(t, id.CreateUser(ctx, u), "CreateUser")
	wantErr(t, id.CreateUser(ctx, &model.User{Name: "alice", DomainID: "default"}), errdefs.ErrAlreadyExists, "duplicate user")
	gu, err := id.GetUser(ctx, "alice", "default")
	noErr(t, err, "GetUser by name")
	if gu.ID != u.ID || gu.PasswordHash != "$2a$hash" || gu.DefaultProjectID != p.ID || !gu.Enabled {
		t.Fatalf("GetUser = %+v", gu)
	}
	gu, err = id.GetUser(ctx, u.ID, "")
	noErr(t, err, "GetUser by id")
	if gu.Name != "alice" {
		t.Fatalf("GetUser by id = %+v", gu)
	}
	_, err = id.GetUser(ctx, "bob", "default")
	wantErr(t, err, errdefs.ErrNotFound, "GetUser missing")
	users, err := id.ListUsers(ctx)
	noErr(t, err, "ListUsers")
	if len(users) != 1 {
		t.Fatalf("ListUsers gave %d users", len(users))
	}

	var roles []*model.Role
	for _, name := range []string{"reader", "member", "admin"} {
		r := &model.Role{Name: name}
		noErr(t, id.CreateRole(ctx, r), "CreateRole")
		roles = append(roles, r)
	}
	wantErr(t, id.CreateRole(ctx, &model.Role{Name: "admin"}), errdefs.ErrAlreadyExists, "duplicate role")
	gr, err := id.GetRole(ctx, "member")
	noErr(t, err, "GetRole by name")
	if gr.ID != roles[1].ID {
		t.Fatalf("GetRole = %+v", gr)
	}
	gr, err = id.GetRole(ctx, roles[2].ID)
	noErr(t, err, "GetRole by id")
	if gr.Name != "admin" {
		t.Fatalf("GetRole by id = %+v", gr)
	}
	_, err = id.GetRole(ctx, "nope")
	wantErr(t, err, errdefs.ErrNotFound, "GetRole missing")
	allRoles, err := id.ListRoles(ctx)
	noErr(t, err, "ListRoles")
	if len(allRoles) != 3 {
		t.Fatalf("ListRoles gave %d roles", len(allRoles))
	}

	for _, r := range []*model.Role{roles[1], roles[0], roles[1]} { // twice: idempotent
		noErr(t, id.Assign(ctx, model.RoleAssignment{UserID: u.ID, ProjectID: p.ID, RoleID: r.ID}), "Assign")
	}
	noErr(t, id.Assign(ctx, model.RoleAssignment{UserID: u.ID, ProjectID: admin.ID, RoleID: roles[2].ID}), "Assign admin")
	if err := id.Assign(ctx, model.RoleAssignment{UserID: u.ID, ProjectID: p.ID, RoleID: "no-such-role"}); err == nil {
		t.Fatal("Assign of an unknown role succeeded")
	}
	names, err := id.RolesOf(ctx, u.ID, p.ID)
	noErr(t, err, "RolesOf")
	if !slices.Equal(names, []string{"member", "reader"}) {
		t.Fatalf("RolesOf = %v, want [member reader]", names)
	}
	names, err = id.RolesOf(ctx, u.ID, admin.ID)
	noErr(t, err, "RolesOf admin")
	if !slices.Equal(names, []string{"admin"}) {
		t.Fatalf("RolesOf admin project = %v", names)
	}
	names, err = id.RolesOf(ctx, u.ID, "other")
	noErr(t, err, "RolesOf none")
	if len(names) != 0 {
		t.Fatalf("RolesOf without assignments = %v", names)
	}
}
