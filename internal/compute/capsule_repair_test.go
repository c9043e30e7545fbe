package compute

import (
	"slices"
	"testing"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

func TestPlanRepair(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(status string, code int, started time.Time) observed {
		return observed{present: true, state: container.State{Status: status, ExitCode: code, StartedAt: started}}
	}
	sandbox := at(api.StatusRunning, 0, t0)
	up := at(api.StatusRunning, 0, t0.Add(time.Second))
	missing := observed{}
	for _, tc := range []struct {
		name           string
		policy         string
		sandbox, a, b  observed
		newSB, startSB bool
		members        []int
	}{
		{"healthy", "Always", sandbox, up, up, false, false, nil},
		{"never restarts nothing", "Never", missing, missing, at(api.StatusStopped, 137, t0), false, false, nil},
		{"sandbox killed", "Always", at(api.StatusStopped, 137, t0), at(api.StatusStopped, 137, t0), at(api.StatusError, 137, t0), false, true, []int{0, 1}},
		{"sandbox removed", "OnFailure", missing, at(api.StatusStopped, 137, t0), at(api.StatusStopped, 0, t0), true, false, []int{0}},
		{"member in old namespaces", "Always", at(api.StatusRunning, 0, t0.Add(time.Minute)), up, at(api.StatusRunning, 0, t0.Add(2*time.Minute)), false, false, []int{0}},
		{"sandbox down, member still running", "Always", at(api.StatusStopped, 0, t0), up, at(api.StatusStopped, 0, t0), false, true, []int{0, 1}},
		{"member killed under Always", "Always", sandbox, at(api.StatusStopped, 137, t0), up, false, false, []int{0}},
		{"member exited 0 under Always", "Always", sandbox, up, at(api.StatusStopped, 0, t0), false, false, []int{1}},
		{"member exited 0 under OnFailure", "OnFailure", sandbox, up, at(api.StatusStopped, 0, t0), false, false, nil},
		{"member killed under OnFailure", "OnFailure", sandbox, up, at(api.StatusStopped, 137, t0), false, false, []int{1}},
		{"docker restarts it", "Always", sandbox, at(api.StatusRestarting, 1, t0), up, false, false, nil},
		{"member missing", "OnFailure", sandbox, missing, up, false, false, []int{0}},
		{"sandbox paused", "Always", at(api.StatusPaused, 0, t0), at(api.StatusPaused, 0, t0), up, false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &model.Capsule{RestartPolicy: tc.policy, Containers: []model.Member{
				{Container: model.Container{UUID: "a", Name: "a"}}, {Container: model.Container{UUID: "b", Name: "b"}}}}
			apps := map[string]observed{}
			if tc.a.present {
				apps["a"] = tc.a
			}
			if tc.b.present {
				apps["b"] = tc.b
			}
			p := planRepair(c, tc.sandbox, apps)
			if p.newSandbox != tc.newSB || p.startSandbox != tc.startSB || !slices.Equal(p.members, tc.members) {
				t.Fatalf("plan %+v, want new=%v start=%v members=%v", p, tc.newSB, tc.startSB, tc.members)
			}
			if !p.empty() && p.why == "" {
				t.Fatal("a repair without a reason")
			}
		})
	}
}

func TestRepairBackoff(t *testing.T) {
	var b repairBackoff
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if w := b.take("c", now); w != 0 {
		t.Fatalf("first repair waits %v", w)
	}
	if w := b.take("c", now.Add(500*time.Millisecond)); w != 500*time.Millisecond {
		t.Fatalf("second repair within the back-off waits %v", w)
	}
	if w := b.take("c", now.Add(time.Second)); w != 0 {
		t.Fatalf("repair after the back-off waits %v", w)
	}
	if w := b.take("c", now.Add(2*time.Second)); w != time.Second {
		t.Fatalf("back-off did not double: %v", w)
	}
	if w := b.take("other", now); w != 0 {
		t.Fatalf("another capsule waits %v", w)
	}
	b.reset("c")
	if w := b.take("c", now.Add(2*time.Second)); w != 0 {
		t.Fatalf("after reset waits %v", w)
	}
}
