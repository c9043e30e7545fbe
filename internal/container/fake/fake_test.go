package fake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func record(n int) *model.Container {
	return &model.Container{
		UUID: fmt.Sprintf("00000000-0000-0000-0000-%012d", n), Name: fmt.Sprintf("c%d", n),
		ProjectID: "p", Image: "busybox:1.35", CPU: 1, Memory: 256,
		Command: []string{"sleep", "inf"},
	}
}

func status(t *testing.T, d *Driver, c *model.Container) container.State {
	t.Helper()
	st, err := d.Inspect(t.Context(), c)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return st
}

func TestLifecycle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
	d := New(Options{Now: clock})
	ctx := t.Context()
	c := record(1)

	evs, err := d.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.Create(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := d.Create(ctx, c); err != nil || again != id {
		t.Fatalf("idempotent Create = %s, %v", again, err)
	}
	if st := status(t, d, c); st.Status != api.StatusCreated || st.Detail != "Created" || st.ContainerID != id {
		t.Fatalf("created = %+v", st)
	}
	steps := []struct {
		name    string
		op      func() error
		wantErr error
		status  string
		detail  string
	}{
		{"start", func() error { return d.Start(ctx, c) }, nil, api.StatusRunning, "Up Less than a second"},
		{"start again", func() error { return d.Start(ctx, c) }, nil, api.StatusRunning, ""},
		{"unpause running", func() error { return d.Unpause(ctx, c) }, errdefs.ErrConflict, api.StatusRunning, ""},
		{"pause", func() error { advance(3 * time.Minute); return d.Pause(ctx, c) }, nil, api.StatusPaused, "Up 3 mins (paused)"},
		{"pause again", func() error { return d.Pause(ctx, c) }, errdefs.ErrConflict, api.StatusPaused, ""},
		{"kill paused", func() error { return d.Kill(ctx, c, "TERM") }, errdefs.ErrConflict, api.StatusPaused, ""},
		{"exec paused", func() error { _, err := d.Exec(ctx, c, []string{"ls"}, 0, 0); return err }, errdefs.ErrConflict, api.StatusPaused, ""},
		{"unpause", func() error { return d.Unpause(ctx, c) }, nil, api.StatusRunning, "Up 3 mins"},
		{"delete running", func() error { return d.Delete(ctx, c, false) }, errdefs.ErrConflict, api.StatusRunning, ""},
		{"kill bad", func() error { return d.Kill(ctx, c, "SIGNOPE") }, errdefs.ErrInvalidArgument, api.StatusRunning, ""},
		{"kill ignored", func() error { return d.Kill(ctx, c, "winch") }, nil, api.StatusRunning, ""},
		{"kill term", func() error { return d.Kill(ctx, c, "15") }, nil, api.StatusStopped, "Exited(143) Less than a second ago"},
		{"kill stopped", func() error { return d.Kill(ctx, c, "SIGKILL") }, errdefs.ErrConflict, api.StatusStopped, ""},
		{"pause stopped", func() error { return d.Pause(ctx, c) }, errdefs.ErrConflict, api.StatusStopped, ""},
		{"restart", func() error { return d.Restart(ctx, c, time.Second) }, nil, api.StatusRunning, ""},
		{"stop", func() error { return d.Stop(ctx, c, time.Second) }, nil, api.StatusStopped, "Exited(0) Less than a second ago"},
		{"stop again", func() error { return d.Stop(ctx, c, time.Second) }, nil, api.StatusStopped, ""},
		{"age", func() error { advance(2 * time.Hour); return nil }, nil, api.StatusStopped, "Exited(0) 2 hours ago"},
		{"update", func() error { return d.Update(ctx, c, 2, 512) }, nil, api.StatusStopped, ""},
		{"update negative", func() error { return d.Update(ctx, c, -1, 0) }, errdefs.ErrInvalidArgument, api.StatusStopped, ""},
	}
	for _, s := range steps {
		if err := s.op(); !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		}
		st := status(t, d, c)
		if st.Status != s.status || (s.detail != "" && st.Detail != s.detail) {
			t.Fatalf("%s: state = %s %q, want %s %q", s.name, st.Status, st.Detail, s.status, s.detail)
		}
	}
	if cpu, mem, _ := d.Resources(c); cpu != 2 || mem != 512 {
		t.Fatalf("resources = %v %v", cpu, mem)
	}
	if err := d.Delete(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Inspect(ctx, c); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Inspect deleted: %v", err)
	}
	if err := d.Delete(ctx, c, true); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	want := []string{"create", "start", "pause", "unpause", "kill", "kill", "die", "start", "restart", "kill", "die", "stop", "update", "destroy"}
	for i, w := range want {
		select {
		case ev := <-evs:
			if ev.UUID != c.UUID || ev.Action != w {
				t.Fatalf("event %d = %+v, want %s", i, ev, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d (%s) not delivered", i, w)
		}
	}
}

func TestOptionsAndErrors(t *testing.T) {
	boom := errors.New("boom")
	d := New(Options{
		CPUs: 4, MemTotal: 2048, DiskTotal: 50, Runtimes: []string{"runc", "kata"},
		Labels:     map[string]string{"zone": "a"},
		FailCreate: func(c *model.Container) error { return map[bool]error{true: boom}[c.Name == "bad"] },
		Exec: func(_ *model.Container, cmd []string) (container.ExecResult, error) {
			if cmd[0] == "hang" {
				time.Sleep(time.Second)
			}
			return container.ExecResult{Output: strings.Repeat("x", 100), ExitCode: 3}, nil
		},
	})
	ctx := t.Context()
	bad := record(2)
	bad.Name = "bad"
	if _, err := d.Create(ctx, bad); !errors.Is(err, boom) {
		t.Fatalf("FailCreate err = %v", err)
	}
	miss := record(3)
	miss.Image = "missing/img"
	if _, err := d.Create(ctx, miss); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing image err = %v", err)
	}
	if err := d.EnsureImage(ctx, "missing/img", "never"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("EnsureImage missing = %v", err)
	}
	if err := d.EnsureImage(ctx, "nginx", ""); err != nil {
		t.Fatalf("EnsureImage = %v", err)
	}
	if err := d.EnsureImage(ctx, "nginx", "weekly"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("EnsureImage bad policy = %v", err)
	}

	c := record(4)
	if _, err := d.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	other := record(5)
	other.UUID = c.UUID
	other.Name = "twin"
	if id, err := d.Create(ctx, other); err != nil || id == "" {
		t.Fatalf("same uuid create = %q, %v", id, err)
	}
	if _, _, err := d.Top(ctx, c, ""); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("Top created err = %v", err)
	}
	if err := d.Start(ctx, c); err != nil {
		t.Fatal(err)
	}
	if titles, procs, err := d.Top(ctx, c, "aux"); err != nil || len(titles) != 8 || procs[0][7] != "sleep inf" {
		t.Fatalf("Top = %v %v %v", titles, procs, err)
	}
	res, err := d.Exec(ctx, c, []string{"ls"}, time.Second, 10)
	if err != nil || res.ExitCode != 3 || len(res.Output) != 10 {
		t.Fatalf("Exec = %+v, %v", res, err)
	}
	if _, err := d.Exec(ctx, c, []string{"hang"}, 50*time.Millisecond, 0); !errors.Is(err, errdefs.ErrTimeout) {
		t.Fatalf("Exec timeout err = %v", err)
	}
	stats, err := d.Stats(ctx, c)
	if err != nil || stats["MEM LIMIT(MiB)"] != 256.0 || stats["CONTAINER"] != "c4" || len(stats) != 7 {
		t.Fatalf("Stats = %v, %v", stats, err)
	}
	for i := range 5 {
		if err := d.WriteLog(c, fmt.Sprintf("line %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := d.Logs(ctx, c, container.LogOptions{Tail: "2"}); err != nil || out != "line 3\nline 4\n" {
		t.Fatalf("Logs tail = %q, %v", out, err)
	}
	if _, err := d.Logs(ctx, c, container.LogOptions{Tail: "many"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("Logs bad tail = %v", err)
	}
	if err := d.Exit(c, 1, "segfault"); err != nil {
		t.Fatal(err)
	}
	if st := status(t, d, c); st.Status != api.StatusStopped || st.Reason != "segfault" || st.ExitCode != 1 {
		t.Fatalf("after Exit = %+v", st)
	}

	h, err := d.HostInfo(ctx)
	if err != nil || h.CPUs != 4 || h.MemTotal != 2048 || h.DiskTotal != 50 || h.Labels["zone"] != "a" ||
		len(h.Runtimes) != 2 || h.TotalContainers != 1 {
		t.Fatalf("HostInfo = %+v, %v", h, err)
	}

	ar := record(6)
	ar.AutoRemove = true
	if _, err := d.Create(ctx, ar); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, ar); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(ctx, ar, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Inspect(ctx, ar); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("auto-removed Inspect = %v", err)
	}
}

func TestDelaysHonourContext(t *testing.T) {
	d := New(Options{CreateDelay: time.Hour, StartDelay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := d.Create(ctx, record(1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Create err = %v", err)
	}
	if l, _ := d.List(t.Context()); len(l) != 0 {
		t.Fatalf("List after cancelled create = %v", l)
	}
}

func TestConcurrentScale(t *testing.T) {
	d := New(Options{CreateDelay: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	evs, err := d.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	// create+start for all, kill+die+destroy for half: every event arrives.
	const want = 2*n + 3*n/2
	all := make(chan struct{})
	go func() {
		got := 0
		for range evs {
			if got++; got == want {
				close(all)
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := record(i)
			if _, err := d.Create(ctx, c); err != nil {
				t.Error(err)
				return
			}
			if err := d.Start(ctx, c); err != nil {
				t.Error(err)
			}
			_, _ = d.Inspect(ctx, c)
			_, _ = d.List(ctx)
			if i%2 == 0 {
				if err := d.Delete(ctx, c, true); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	l, _ := d.List(ctx)
	if len(l) != n/2 {
		t.Fatalf("List = %d containers, want %d", len(l), n/2)
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatal("not every event was delivered")
	}
	cancel()
}
