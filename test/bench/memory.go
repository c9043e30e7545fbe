package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// memResult is one resident-memory reading of phase 4 (or phase 3).
type memResult struct {
	What   string
	Mem    memory
	Target int64 // bytes; 0 means none
	Err    error
}

// readMem reads p's memory into a result.
func readMem(what string, p *proc, target int64) memResult {
	m, err := p.memory()
	return memResult{What: what, Mem: m, Target: target, Err: err}
}

// phaseMany creates b.p.memN running containers through the API, reads the
// all-in-one's memory once all are Running, then deletes them.
func (b *bench) phaseMany(ctx context.Context, a *aio) memResult {
	what := fmt.Sprintf("all-in-one (docker driver), %d running containers", b.p.memN)
	uuids := make([]string, b.p.memN)
	start := time.Now()
	err := pool(ctx, b.p.memN, 10, func(ctx context.Context, i int) error {
		body := createReq{Name: fmt.Sprintf("bench-mem-%d", i), Image: image, Command: command, CPU: benchCPU, Memory: fmt.Sprint(benchMiB)}
		uuid, err := a.create(ctx, body, true)
		if err != nil {
			return err
		}
		uuids[i] = uuid
		return a.waitStatus(ctx, uuid, "Running", every(50*time.Millisecond), 3*time.Minute)
	})
	res := memResult{What: what, Target: 80_000_000}
	if err == nil {
		b.log.Info("phase 4 containers running", "n", b.p.memN, "took", time.Since(start).Round(time.Millisecond))
		time.Sleep(2 * time.Second)
		res = readMem(what, a.proc, res.Target)
	} else {
		res.Err = err
	}
	if derr := b.removeAll(ctx, a, uuids, 10); derr != nil && res.Err == nil {
		res.Err = fmt.Errorf("failed to delete the %d containers: %w", b.p.memN, derr)
	}
	return res
}

// phaseCompute starts an all-in-one without a compute agent but with a NATS
// listener, then a separate zun-compute, and reads the agent's memory after
// b.p.computeIdle idle.
func (b *bench) phaseCompute(ctx context.Context) (memResult, memResult) {
	const what = "zun-compute alone, idle"
	fail := func(err error) (memResult, memResult) {
		return memResult{What: what, Target: 30_000_000, Err: err}, memResult{}
	}
	natsAddr, err := freeAddr()
	if err != nil {
		return fail(err)
	}
	a, err := b.startAIO(ctx, "api", false, "--embedded-compute=false", "--nats-listen", natsAddr)
	if err != nil {
		return fail(err)
	}
	defer a.stop()
	pw, err := os.ReadFile(filepath.Join(a.dir, "nats-password"))
	if err != nil {
		return fail(fmt.Errorf("failed to read nats-password: %w", err))
	}
	dir, err := b.tempDir("compute")
	if err != nil {
		return fail(err)
	}
	const host = "bench-compute"
	p, err := b.startProc("zun-compute", filepath.Join(dir, "zun-compute.log"), "alone",
		"--log-level", b.p.logLevel, "--nats-url", "nats://"+natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
		"--host", host, "--data-dir", filepath.Join(dir, "data"))
	if err != nil {
		return fail(err)
	}
	stopCompute := b.clean.add("stop zun-compute", func(ctx context.Context) error {
		err := p.stop(ctx, 20*time.Second)
		if b.engine != nil {
			if rerr := b.engine.removeLabeled(ctx, "zun.host", host); rerr != nil && err == nil {
				err = rerr
			}
		}
		return err
	})
	defer stopCompute()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		err := a.waitHost(wctx, host)
		if err == nil {
			break
		}
		if p.exited() {
			return fail(fmt.Errorf("zun-compute exited: %w: %s", err, p.logTail(20)))
		}
		select {
		case <-wctx.Done():
			return fail(fmt.Errorf("zun-compute did not register: %w: %s", err, p.logTail(20)))
		case <-time.After(200 * time.Millisecond):
		}
	}
	b.log.Info("zun-compute registered; idling", "for", b.p.computeIdle)
	select {
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-time.After(b.p.computeIdle):
	}
	return readMem(what, p, 30_000_000), readMem("zun-api --all-in-one --embedded-compute=false, idle (context)", a.proc, 0)
}
