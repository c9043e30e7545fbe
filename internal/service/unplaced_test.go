package service

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/apiserver"
	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/zunctx"
)

// TestSweepUnplaced: a create the API accepted and never placed (the
// process died between the insert and the cast) ends in Error with a
// reason once it is older than the bound; a placed one and a young one
// are left alone.
func TestSweepUnplaced(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.PublicURL = "http://127.0.0.1:1"
	cfg.AdminPassword = "sweep-admin-pw"
	cfg.AllInOne = true
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := BuildAPI(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sys := zunctx.WithAllProjects(zunctx.System(ctx))
	mk := func(name, host string) *model.Container {
		c := &model.Container{UUID: name + "-0000-4000-8000-000000000000", Name: name, ProjectID: "p1", UserID: "u1",
			Image: "busybox", Status: api.StatusCreating, TaskState: api.TaskContainerCreating, Host: host}
		if err := a.Store.Containers().Create(sys, c); err != nil {
			t.Fatal(err)
		}
		if err := a.Store.Actions().Start(sys, &model.Action{ContainerUUID: c.UUID, Action: "create", RequestID: "req-" + name,
			ProjectID: "p1", UserID: "u1", StartTime: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	lost := mk("lost", "")
	placed := mk("placed", "somehost")
	sweeper := a.unplaced.(*apiserver.Server)

	if n, err := sweeper.SweepUnplaced(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("young creates: ended %d, %v", n, err)
	}
	time.Sleep(20 * time.Millisecond)
	if n, err := sweeper.SweepUnplaced(ctx, 10*time.Millisecond); err != nil || n != 1 {
		t.Fatalf("old creates: ended %d, %v; want 1", n, err)
	}
	got, err := a.Store.Containers().Get(sys, lost.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != api.StatusError || got.TaskState != "" || got.StatusReason == "" {
		t.Errorf("unplaced create: %s/%s %q", got.Status, got.TaskState, got.StatusReason)
	}
	acts, err := a.Store.Actions().List(sys, lost.UUID)
	if err != nil || len(acts) != 1 || acts[0].FinishTime.IsZero() || acts[0].Message == "" {
		t.Errorf("create action not finished with the reason: %+v %v", acts, err)
	}
	if got, _ := a.Store.Containers().Get(sys, placed.UUID); got.Status != api.StatusCreating {
		t.Errorf("a placed create was touched: %s", got.Status)
	}
	if n, _ := sweeper.SweepUnplaced(ctx, 10*time.Millisecond); n != 0 {
		t.Errorf("second sweep ended %d more", n)
	}
}
