package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// capsuleResult is the capsule phase: create-to-Running of a capsule with
// one init and two app containers, against the same three containers
// created one by one through the API (the init container first, waited
// until it exited, then each app container until Running).
type capsuleResult struct {
	Capsule, OneByOne []time.Duration
	Err               error
}

// capsuleRuns bounds the measured runs of each path.
const capsuleRuns = 10

func capsuleTemplate(name string) map[string]any {
	member := func(n string, cmd ...string) map[string]any {
		return map[string]any{"image": image, "name": n, "command": cmd,
			"resources": map[string]any{"requests": map[string]any{"cpu": benchCPU, "memory": benchMiB}}}
	}
	return map[string]any{"kind": "capsule", "metadata": map[string]any{"name": name}, "spec": map[string]any{
		"initContainers": []any{member("init", "true")},
		"containers":     []any{member("app-a", command...), member("app-b", command...)},
	}}
}

// capsuleToRunning times POST /v1/capsules until GET shows Running.
func (b *bench) capsuleToRunning(ctx context.Context, a *aio, name string) (time.Duration, string, error) {
	start := time.Now()
	var c struct {
		UUID         string  `json:"uuid"`
		Status       string  `json:"status"`
		StatusReason *string `json:"status_reason"`
	}
	if _, err := a.do(ctx, http.MethodPost, "/v1/capsules", map[string]any{"template": capsuleTemplate(name)}, &c); err != nil {
		return 0, "", err
	}
	uuid := c.UUID
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		if _, err := a.do(wctx, http.MethodGet, "/v1/capsules/"+uuid, nil, &c); err != nil {
			return 0, uuid, err
		}
		switch c.Status {
		case "Running":
			return time.Since(start), uuid, nil
		case "Error":
			reason := ""
			if c.StatusReason != nil {
				reason = *c.StatusReason
			}
			return 0, uuid, fmt.Errorf("capsule %s went to Error: %s", uuid, reason)
		}
		select {
		case <-wctx.Done():
			return 0, uuid, fmt.Errorf("capsule %s: status %s: %w", uuid, c.Status, wctx.Err())
		case <-time.After(b.p.pollInterval):
		}
	}
}

func (b *bench) removeCapsule(ctx context.Context, a *aio, uuid string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if st, err := a.do(ctx, http.MethodDelete, "/v1/capsules/"+uuid, nil, nil); err != nil && st != http.StatusNotFound {
		return err
	}
	for {
		if st, _ := a.do(ctx, http.MethodGet, "/v1/capsules/"+uuid, nil, nil); st == http.StatusNotFound {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("capsule %s not gone after delete: %w", uuid, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// oneByOne times the three containers through /v1/containers.
func (b *bench) oneByOne(ctx context.Context, a *aio, name string) (time.Duration, []string, error) {
	start := time.Now()
	var uuids []string
	steps := []struct {
		suffix string
		cmd    []string
		want   string
	}{{"init", []string{"true"}, "Stopped"}, {"app-a", command, "Running"}, {"app-b", command, "Running"}}
	for _, s := range steps {
		uuid, err := a.create(ctx, createReq{Name: name + "-" + s.suffix, Image: image, Command: s.cmd, CPU: benchCPU, Memory: fmt.Sprint(benchMiB)}, true)
		if err != nil {
			return 0, uuids, err
		}
		uuids = append(uuids, uuid)
		if err := a.waitStatus(ctx, uuid, s.want, every(b.p.pollInterval), 2*time.Minute); err != nil {
			return 0, uuids, err
		}
	}
	return time.Since(start), uuids, nil
}

// phaseCapsule alternates the two paths after one warm-up pair; everything
// is deleted, untimed, before the next run.
func (b *bench) phaseCapsule(ctx context.Context, a *aio) capsuleResult {
	var res capsuleResult
	runs := min(b.p.runs, capsuleRuns)
	for i := -1; i < runs; i++ {
		for k := range 2 {
			name := fmt.Sprintf("bench-cap-%d", i+1)
			if (k == 0) == (i%2 == 0) {
				d, uuid, err := b.capsuleToRunning(ctx, a, name)
				if uuid != "" {
					if rerr := b.removeCapsule(ctx, a, uuid); rerr != nil && err == nil {
						err = rerr
					}
				}
				if err != nil {
					res.Err = fmt.Errorf("capsule run %d: %w", i+1, err)
					return res
				}
				if i >= 0 {
					res.Capsule = append(res.Capsule, d)
				}
				continue
			}
			d, uuids, err := b.oneByOne(ctx, a, name)
			for _, u := range uuids {
				if rerr := a.remove(ctx, u, time.Minute); rerr != nil && err == nil {
					err = rerr
				}
			}
			if err != nil {
				res.Err = fmt.Errorf("one-by-one run %d: %w", i+1, err)
				return res
			}
			if i >= 0 {
				res.OneByOne = append(res.OneByOne, d)
			}
		}
	}
	return res
}

func (r *report) capsuleSection(f printf) []summaryRow {
	f("## 5. Capsule create-to-Running\n\n")
	c := r.capsule
	if c == nil {
		f("not run\n\n")
		return nil
	}
	f("One init container (`true`) and two app containers (`%s`), cpu %.1f and %d MiB each. Capsule: POST /v1/capsules, GET until Running. One by one: POST /v1/containers?run=true for the init container, GET until Stopped, then each app container until Running. %d measured runs of each path after a warm-up pair, interleaved; everything is deleted, untimed, between runs.\n\n",
		joinCmd(), benchCPU, benchMiB, len(c.Capsule))
	failed(f, "capsule phase", c.Err)
	cp, ob := summarize(c.Capsule), summarize(c.OneByOne)
	f("| path | n | min | p50 | p95 | max | mean |\n|---|---|---|---|---|---|---|\n")
	f("| capsule (sandbox + 1 init + 2 apps) | %d | %s | %s | %s | %s | %s |\n", cp.N, ms(cp.Min), ms(cp.P50), ms(cp.P95), ms(cp.Max), ms(cp.Mean))
	f("| 3 containers one by one | %d | %s | %s | %s | %s | %s |\n", ob.N, ms(ob.Min), ms(ob.P50), ms(ob.P95), ms(ob.Max), ms(ob.Mean))
	if cp.N == 0 || ob.N == 0 {
		f("\n")
		return nil
	}
	f("| ratio (capsule / one by one) | | | %.2f× | %.2f× | | |\n\n", ratio(cp.P50, ob.P50), ratio(cp.P95, ob.P95))
	return []summaryRow{{"capsule create-to-Running p50", fmt.Sprintf("%s (one by one %s)", ms(cp.P50), ms(ob.P50)), "none (informative)", "-"}}
}

func joinCmd() string { return strings.Join(command, " ") }

// capsuleOnly runs the capsule phase alone on a docker all-in-one
// (bench -capsule-only).
func (b *bench) capsuleOnly(ctx context.Context, rep *report) {
	a, err := b.startAIO(ctx, "docker", true)
	if err != nil {
		rep.setupErr = fmt.Errorf("starting the docker all-in-one: %w", err)
		return
	}
	defer a.stop()
	b.runCapsulePhase(ctx, rep, a)
}

func (b *bench) runCapsulePhase(ctx context.Context, rep *report, a *aio) {
	b.log.Info("phase 5: capsule create-to-running", "runs", min(b.p.runs, capsuleRuns))
	c := b.phaseCapsule(ctx, a)
	rep.capsule = &c
	if c.Err != nil && ctx.Err() == nil {
		b.log.Error("capsule phase failed", "err", c.Err, "log", a.proc.logTail(20))
	}
}
