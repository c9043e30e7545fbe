package main

import (
	"context"
	"fmt"
	"time"
)

// latencyResult is phase 1: create-to-running one at a time.
type latencyResult struct {
	API, Raw []time.Duration
	// Where the time goes, per run: on the API path, the POST round trip,
	// POST start to the engine's create event, create event to start
	// event, and start event to GET showing Running; on the floor, the
	// create call and the start call plus the inspect wait.
	APIPost, APIToCreate, APICreateToStart, APIStartToRunning []time.Duration
	RawCreate, RawStart                                       []time.Duration
	Err                                                       error
}

// apiTiming is one API create-to-running run.
type apiTiming struct {
	total, post time.Duration
	start       time.Time
}

// apiCreateToRunning times POST ?run=true until GET shows Running with no
// task, polling every poll.
func (b *bench) apiCreateToRunning(ctx context.Context, a *aio, name string, poll time.Duration) (apiTiming, string, error) {
	body := createReq{Name: name, Image: image, Command: command, CPU: benchCPU, Memory: fmt.Sprint(benchMiB)}
	t := apiTiming{start: time.Now()}
	uuid, err := a.create(ctx, body, true)
	if err != nil {
		return t, "", err
	}
	t.post = time.Since(t.start)
	if err := a.waitStatus(ctx, uuid, "Running", poll, 2*time.Minute); err != nil {
		return t, uuid, err
	}
	t.total = time.Since(t.start)
	return t, uuid, nil
}

// rawCreateToRunning times create+start on the engine until inspect says
// running.
func (b *bench) rawCreateToRunning(ctx context.Context, name string) (rawTiming, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return b.engine.createStart(ctx, name, b.p.pollInterval)
}

// phaseLatency runs one warm-up pair, then b.p.runs pairs, alternating which
// path goes first. Each container is deleted (untimed) before the next run.
func (b *bench) phaseLatency(ctx context.Context, a *aio) latencyResult {
	var res latencyResult
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ev := b.engine.watchHost(wctx, a.host)
	for i := -1; i < b.p.runs; i++ {
		apiFirst := i%2 == 0
		for k := range 2 {
			var err error
			if (k == 0) == apiFirst {
				var t apiTiming
				var uuid string
				t, uuid, err = b.oneAPI(ctx, a, fmt.Sprintf("bench-lat-%d", i+1))
				if err == nil && i >= 0 {
					res.API = append(res.API, t.total)
					res.APIPost = append(res.APIPost, t.post)
					if c, s, ok := ev.times(uuid); ok {
						res.APIToCreate = append(res.APIToCreate, c.Sub(t.start))
						res.APICreateToStart = append(res.APICreateToStart, s.Sub(c))
						res.APIStartToRunning = append(res.APIStartToRunning, t.start.Add(t.total).Sub(s))
					}
				}
			} else {
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

func (b *bench) oneAPI(ctx context.Context, a *aio, name string) (apiTiming, string, error) {
	t, uuid, err := b.apiCreateToRunning(ctx, a, name, b.p.pollInterval)
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
