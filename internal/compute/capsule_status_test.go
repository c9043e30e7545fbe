package compute

import (
	"testing"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

func TestCapsuleStatus(t *testing.T) {
	c := &model.Capsule{Containers: []model.Member{
		{Container: model.Container{UUID: "a", Name: "web"}},
		{Container: model.Container{UUID: "b", Name: "probe"}},
	}}
	up := observed{present: true, state: container.State{Status: api.StatusRunning}}
	st := func(status string, code int) observed {
		return observed{present: true, state: container.State{Status: status, ExitCode: code}}
	}
	for _, tc := range []struct {
		name         string
		sandbox      observed
		a, b         observed
		want, reason string
	}{
		{"all running", up, up, up, api.StatusRunning, ""},
		{"restarting counts as running", up, up, st(api.StatusRestarting, 1), api.StatusRunning, ""},
		{"one completed with 0", up, up, st(api.StatusStopped, 0), api.StatusRunning, ""},
		{"all completed with 0", up, st(api.StatusStopped, 0), st(api.StatusStopped, 0), api.StatusStopped, ""},
		{"one failed", up, st(api.StatusStopped, 0), st(api.StatusStopped, 1), api.StatusError, "container probe exited with code 1"},
		{"sandbox gone", observed{}, up, up, api.StatusError, "sandbox container is missing"},
		{"sandbox stopped", st(api.StatusStopped, 0), up, up, api.StatusError, "sandbox container is Stopped"},
		{"member gone", up, observed{}, up, api.StatusError, "container web is missing"},
		{"member dead", up, up, st(api.StatusDead, 0), api.StatusError, "container probe is Dead"},
		{"never started", up, st(api.StatusCreated, 0), up, api.StatusCreated, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := capsuleStatus(c, tc.sandbox, map[string]observed{"a": tc.a, "b": tc.b})
			if got != tc.want || reason != tc.reason {
				t.Fatalf("capsuleStatus = %q %q, want %q %q", got, reason, tc.want, tc.reason)
			}
		})
	}
}
