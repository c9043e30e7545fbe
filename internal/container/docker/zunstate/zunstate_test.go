package zunstate

import (
	"errors"
	"testing"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
)

func TestParseSignal(t *testing.T) {
	cases := []struct {
		in      string
		want    Signal
		wantErr error
	}{
		{in: "SIGTERM", want: Signal{"SIGTERM", 15}},
		{in: "TERM", want: Signal{"SIGTERM", 15}},
		{in: "term", want: Signal{"SIGTERM", 15}},
		{in: "sigterm", want: Signal{"SIGTERM", 15}},
		{in: "15", want: Signal{"SIGTERM", 15}},
		{in: "", want: Signal{"SIGKILL", 9}},
		{in: "9", want: Signal{"SIGKILL", 9}},
		{in: "SIGIOT", want: Signal{"SIGABRT", 6}},
		{in: "hup", want: Signal{"SIGHUP", 1}},
		{in: "35", want: Signal{"SIGRTMIN+1", 35}},
		{in: "64", want: Signal{"SIGRTMAX", 64}},
		{in: "SIGFOO", wantErr: errdefs.ErrInvalidArgument},
		{in: "0", wantErr: errdefs.ErrInvalidArgument},
		{in: "65", wantErr: errdefs.ErrInvalidArgument},
		{in: "-1", wantErr: errdefs.ErrInvalidArgument},
		{in: "TERM; rm -rf /", wantErr: errdefs.ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSignal(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMap(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name string
		in   Engine
		want Mapped
	}{
		{"created", Engine{Status: "created"}, Mapped{api.StatusCreated, "Created", ""}},
		{"running", Engine{Status: "running", Running: true, StartedAt: ago(3 * time.Minute)},
			Mapped{api.StatusRunning, "Up 3 mins", ""}},
		{"paused", Engine{Status: "paused", Running: true, Paused: true, StartedAt: ago(2 * time.Hour)},
			Mapped{api.StatusPaused, "Up 2 hours (paused)", ""}},
		{"restarting", Engine{Status: "restarting", Running: true, Restarting: true, StartedAt: ago(time.Hour)},
			Mapped{api.StatusRestarting, "Restarting", ""}},
		{"exited", Engine{Status: "exited", ExitCode: 0, StartedAt: ago(time.Hour), FinishedAt: ago(8 * time.Minute)},
			Mapped{api.StatusStopped, "Exited(0) 8 mins ago", ""}},
		{"exited oom", Engine{Status: "exited", ExitCode: 137, OOMKilled: true, StartedAt: ago(time.Hour), FinishedAt: ago(3 * 24 * time.Hour)},
			Mapped{api.StatusStopped, "Exited(137) 3 days ago", "out of memory (OOMKilled)"}},
		{"exited error", Engine{Status: "exited", ExitCode: 127, Error: "exec: not found", StartedAt: ago(time.Hour), FinishedAt: ago(5 * time.Second)},
			Mapped{api.StatusStopped, "Exited(127) 5 seconds ago (error)", "exec: not found"}},
		{"created error", Engine{Status: "created", ExitCode: 128, Error: "oci runtime error", FinishedAt: ago(time.Second)},
			Mapped{api.StatusCreated, "Exited(128) 1 seconds ago (error)", "oci runtime error"}},
		{"removing", Engine{Status: "removing", StartedAt: ago(time.Hour), FinishedAt: ago(time.Minute)},
			Mapped{api.StatusStopped, "Exited(0) 1 mins ago", ""}},
		{"dead", Engine{Status: "dead", Dead: true}, Mapped{api.StatusDead, "Dead", ""}},
		{"inconsistent", Engine{Status: "exited", StartedAt: ago(time.Hour)}, Mapped{api.StatusUnknown, "", ""}},
		{"just started", Engine{Status: "running", Running: true, StartedAt: now},
			Mapped{api.StatusRunning, "Up Less than a second", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Map(tc.in, now); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
