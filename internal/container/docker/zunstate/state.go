package zunstate

import (
	"fmt"
	"strings"
	"time"

	"github.com/openzun/zun/api"
)

// Engine is the part of an engine's container state the mapping reads.
// Status is Docker's state string ("created", "running", "paused",
// "restarting", "removing", "exited", "dead").
type Engine struct {
	Status     string
	Running    bool
	Paused     bool
	Restarting bool
	Dead       bool
	OOMKilled  bool
	ExitCode   int
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
}

// Mapped is the Zun view of an engine state.
type Mapped struct {
	Status string // api.Status*
	Detail string // status_detail ("Up 3 mins", "Exited(0) 8 mins ago")
	Reason string // status_reason, set when the engine reports an error
}

// Map applies Zun's state rules to s as seen at now:
//
//	Error set:        exited/removing -> Stopped, else the engine status;
//	                  detail "Exited(N) X ago (error)", reason the error text
//	paused:           Paused,     "Up X (paused)"
//	restarting:       Restarting, "Restarting"
//	running:          Running,    "Up X"
//	dead:             Dead,       "Dead"
//	never started:    Created,    "Created"
//	started, not finished (inconsistent): Unknown
//	otherwise:        Stopped,    "Exited(N) X ago"
//
// Unlike Zun, a non-zero exit caused by the kernel's OOM killer also sets
// Reason, so users see why their container stopped. Zun's trailing space
// after "ago" is dropped.
func Map(s Engine, now time.Time) Mapped {
	switch {
	case s.Error != "":
		m := Mapped{Reason: s.Error}
		switch strings.ToLower(s.Status) {
		case "exited", "removing", "":
			m.Status = api.StatusStopped
		default:
			m.Status = statusOf(s.Status)
		}
		m.Detail = fmt.Sprintf("Exited(%d) %s ago (error)", s.ExitCode, Since(s.FinishedAt, now))
		return m
	case s.Paused:
		return Mapped{Status: api.StatusPaused, Detail: "Up " + Since(s.StartedAt, now) + " (paused)"}
	case s.Restarting:
		return Mapped{Status: api.StatusRestarting, Detail: "Restarting"}
	case s.Running:
		return Mapped{Status: api.StatusRunning, Detail: "Up " + Since(s.StartedAt, now)}
	case s.Dead:
		return Mapped{Status: api.StatusDead, Detail: "Dead"}
	case s.StartedAt.IsZero():
		return Mapped{Status: api.StatusCreated, Detail: "Created"}
	case s.FinishedAt.IsZero():
		return Mapped{Status: api.StatusUnknown}
	}
	m := Mapped{
		Status: api.StatusStopped,
		Detail: fmt.Sprintf("Exited(%d) %s ago", s.ExitCode, Since(s.FinishedAt, now)),
	}
	if s.OOMKilled && s.ExitCode != 0 {
		m.Reason = "out of memory (OOMKilled)"
	}
	return m
}

// statusOf maps a Docker state word to the Zun status of the same name
// ("dead" -> "Dead"), Unknown when Zun has none.
func statusOf(docker string) string {
	switch strings.ToLower(docker) {
	case "created":
		return api.StatusCreated
	case "running":
		return api.StatusRunning
	case "paused":
		return api.StatusPaused
	case "restarting":
		return api.StatusRestarting
	case "dead":
		return api.StatusDead
	}
	return api.StatusUnknown
}

// Since renders the age of t at now the way Zun's format_status_detail does:
// the largest non-zero unit of "N days", "N hours", "N mins", "N seconds";
// "Less than a second" below one second and "" for a zero time.
func Since(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= time.Minute:
		return fmt.Sprintf("%d mins", int(d/time.Minute))
	case d >= time.Second:
		return fmt.Sprintf("%d seconds", int(d/time.Second))
	}
	return "Less than a second"
}
