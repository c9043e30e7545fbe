package main

import (
	"context"
	"fmt"
	"time"
)

// slowPoll is the poll period of a gated API waiter before the engine's
// start event: until the engine has started the container, the API cannot
// show it Running, so faster polling there measures nothing and only takes
// CPU from the engine (the floor's client sleeps in its start call).
const slowPoll = 50 * time.Millisecond

// apiSteps splits one API path's runs at the engine's events.
type apiSteps struct {
	Total, Post, ToCreate, CreateToStart, StartToRunning []time.Duration
}

func (s *apiSteps) add(t apiTiming, ev *eventLog, uuid string) {
	s.Total = append(s.Total, t.total)
	s.Post = append(s.Post, t.post)
	if c, st, ok := ev.times(uuid); ok {
		s.ToCreate = append(s.ToCreate, c.Sub(t.start))
		s.CreateToStart = append(s.CreateToStart, st.Sub(c))
		s.StartToRunning = append(s.StartToRunning, t.start.Add(t.total).Sub(st))
	}
}

// latencyResult is phase 1: create-to-running one at a time.
type latencyResult struct {
	// API is the API path with gated polling (the target): GET every
	// slowPoll until the engine's start event, then every pollInterval.
	// APIConst polls every pollInterval from the POST on (diagnostic: it
	// shows what the polling costs).
	API, APIConst       apiSteps
	Gated, Const        pollPlan
	Raw                 []time.Duration
	RawCreate, RawStart []time.Duration
	Err                 error
}

// apiTiming is one API create-to-running run.
type apiTiming struct {
	total, post time.Duration
	start       time.Time
}

// apiCreateToRunning times POST ?run=true until GET shows Running with no
// task, polling as plan says.
func (b *bench) apiCreateToRunning(ctx context.Context, a *aio, name string, plan pollPlan) (apiTiming, string, error) {
	body := createReq{Name: name, Image: image, Command: command, CPU: benchCPU, Memory: fmt.Sprint(benchMiB)}
	t := apiTiming{start: time.Now()}
	uuid, err := a.create(ctx, body, true)
	if err != nil {
		return t, "", err
	}
	t.post = time.Since(t.start)
	if plan.gated {
		plan.gate = a.events.started(uuid)
	}
	if err := a.waitStatus(ctx, uuid, "Running", plan, 2*time.Minute); err != nil {
		return t, uuid, err
	}
	t.total = time.Since(t.start)
	return t, uuid, nil
}

// gatedPlan polls slowly until the engine's start event, then every
// pollInterval; constPlan polls every pollInterval throughout.
func (b *bench) gatedPlan() pollPlan {
	return pollPlan{fast: b.p.pollInterval, slow: max(slowPoll, b.p.pollInterval), gated: true}
}

func (b *bench) constPlan() pollPlan { return every(b.p.pollInterval) }

// rawCreateToRunning times create+start on the engine until inspect says
// running.
func (b *bench) rawCreateToRunning(ctx context.Context, name string) (rawTiming, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return b.engine.createStart(ctx, name, b.p.pollInterval)
}

// phaseLatency runs one warm-up round, then b.p.runs rounds of the three
// paths (API gated, API constant polling, floor), rotating which goes
// first. Each container is deleted (untimed) before the next run.
func (b *bench) phaseLatency(ctx context.Context, a *aio) latencyResult {
	res := latencyResult{Gated: b.gatedPlan(), Const: b.constPlan()}
	const paths = 3
	for i := -1; i < b.p.runs; i++ {
		for k := range paths {
			var err error
			switch path := (k + i + 1) % paths; path {
			case 0, 1:
				plan, steps := res.Gated, &res.API
				if path == 1 {
					plan, steps = res.Const, &res.APIConst
				}
				var t apiTiming
				var uuid string
				t, uuid, err = b.oneAPI(ctx, a, fmt.Sprintf("bench-lat-%d-%d", i+1, path), plan)
				if err == nil && i >= 0 {
					steps.add(t, a.events, uuid)
				}
			default:
				var t rawTiming
				t, err = b.oneRaw(ctx, fmt.Sprintf("bench-%s-lat-%d", b.runID, i+1))
				if err == nil && i >= 0 {
					res.Raw = append(res.Raw, t.create+t.start)
					res.RawCreate = append(res.RawCreate, t.create)
					res.RawStart = append(res.RawStart, t.start)
				}
			}
			if err != nil {
				res.Err = fmt.Errorf("create-to-running run %d: %w", i+1, err)
				return res
			}
		}
		if i >= 0 && (i+1)%10 == 0 {
			b.log.Info("phase 1 progress", "runs", i+1, "of", b.p.runs)
		}
	}
	return res
}

func (b *bench) oneAPI(ctx context.Context, a *aio, name string, plan pollPlan) (apiTiming, string, error) {
	t, uuid, err := b.apiCreateToRunning(ctx, a, name, plan)
	if uuid != "" {
		if rerr := a.remove(ctx, uuid, time.Minute); rerr != nil && err == nil {
			err = rerr
		}
	}
	return t, uuid, err
}

func (b *bench) oneRaw(ctx context.Context, name string) (rawTiming, error) {
	d, id, err := b.rawCreateToRunning(ctx, name)
	if id != "" {
		if rerr := b.engine.remove(ctx, id); rerr != nil && err == nil {
			err = rerr
		}
	}
	return d, err
}
