package compute

import (
	"context"
	"log/slog"
	"time"
)

// stepTimer logs, at debug level, how long each step of an operation took,
// so a slow create can be split into its engine calls and its reports to
// the conductor without a profiler.
type stepTimer struct {
	log   *slog.Logger
	op    string
	uuid  string
	start time.Time
	last  time.Time
	on    bool
}

func (a *Agent) stepTimer(ctx context.Context, op, uuid string) *stepTimer {
	now := time.Now()
	return &stepTimer{log: a.log, op: op, uuid: uuid, start: now, last: now, on: a.log.Enabled(ctx, slog.LevelDebug)}
}

// step logs the time since the previous step.
func (t *stepTimer) step(ctx context.Context, name string) {
	if !t.on {
		return
	}
	now := time.Now()
	t.log.DebugContext(ctx, "operation step", "op", t.op, "uuid", t.uuid, "step", name,
		"took", now.Sub(t.last), "since_start", now.Sub(t.start))
	t.last = now
}
