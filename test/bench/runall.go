package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// report is everything one run measured.
type report struct {
	p                     params
	started               time.Time
	machine               string
	setupErr              error
	idle                  memResult
	latency               *latencyResult
	volume                *volumeResult
	parallel              *parallelResult
	parDiag               []*parallelResult // other polling, to show the polling's cost
	loadBefore, loadAfter string
	many                  *memResult
	scale                 *scaleResult
	compute               *memResult
	apiOnly               *memResult
	capsule               *capsuleResult
	wsproxy               *wsproxyResult
	network               *networkResult
}

func (r *report) errs() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(r.setupErr)
	add(r.idle.Err)
	if r.latency != nil {
		add(r.latency.Err)
	}
	if r.volume != nil {
		add(r.volume.Err)
	}
	if r.parallel != nil {
		add(r.parallel.Err)
	}
	if r.many != nil {
		add(r.many.Err)
	}
	if r.scale != nil {
		add(r.scale.Err)
	}
	if r.compute != nil {
		add(r.compute.Err)
	}
	if r.capsule != nil {
		add(r.capsule.Err)
	}
	if r.wsproxy != nil {
		add(r.wsproxy.Err)
	}
	if r.network != nil {
		add(r.network.Err)
	}
	return errs
}

// runAll runs the phases in order: the docker all-in-one (idle memory,
// phase 1, phase 2, 100 containers), then the fake-driver all-in-one
// (phase 3), then the separate compute agent.
func (b *bench) runAll(ctx context.Context) *report {
	rep := &report{p: b.p, started: time.Now(), loadBefore: loadavg()}
	defer func() { rep.loadAfter = loadavg() }()
	e, err := newEngine(ctx, b.runID)
	if err != nil {
		rep.setupErr = err
		return rep
	}
	b.engine = e
	b.clean.add("close docker client", func(context.Context) error { return e.close() })
	b.clean.add("remove raw containers", func(ctx context.Context) error {
		return e.removeLabeled(ctx, labelRun, b.runID)
	})
	rep.machine = machine(e)
	b.log.Info("machine", "desc", rep.machine)
	if b.p.capsuleOnly {
		b.capsuleOnly(ctx, rep)
		return rep
	}
	if b.p.only == "volume" {
		a, err := b.startAIO(ctx, "docker", true)
		if err != nil {
			rep.setupErr = fmt.Errorf("starting the docker all-in-one: %w", err)
			return rep
		}
		defer a.stop()
		v := b.phaseVolume(ctx, a)
		rep.volume = &v
		return rep
	}

	if b.p.on("latency") || b.p.on("volume") || b.p.on("parallel") || b.p.on("many") {
		b.dockerPhases(ctx, rep)
	}
	if ctx.Err() != nil {
		return rep
	}
	if b.p.on("scale") {
		b.log.Info("phase 3: GET with many containers in the store (fake driver)", "n", b.p.scaleN)
		s := b.phaseScale(ctx)
		rep.scale = &s
	}
	if ctx.Err() != nil {
		return rep
	}
	if b.p.on("compute") {
		b.log.Info("phase 4: idle zun-compute alone")
		c, api := b.phaseCompute(ctx)
		rep.compute, rep.apiOnly = &c, &api
	}
	if ctx.Err() != nil {
		return rep
	}
	if b.p.on("wsproxy") {
		b.log.Info("phase 6: interactive session through zun-wsproxy against the engine's attach stream")
		w := b.phaseWSProxy(ctx)
		rep.wsproxy = &w
	}
	if ctx.Err() != nil {
		return rep
	}
	if b.p.on("network") {
		b.log.Info("phase 7: tenant networking against --networking none and a plain bridge")
		n := b.phaseNetwork(ctx)
		rep.network = &n
	}
	return rep
}

func (b *bench) dockerPhases(ctx context.Context, rep *report) {
	// The core's create fields exclude networking: its phases compare the
	// API with the raw engine on the same default bridge. Phase 7 measures
	// tenant networking.
	a, err := b.startAIO(ctx, "docker", true, "--networking", "none")
	if err != nil {
		rep.setupErr = fmt.Errorf("starting the docker all-in-one: %w", err)
		return
	}
	defer a.stop()
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.events = b.engine.watchHost(ectx, a.host)
	b.log.Info("phase 4: idle all-in-one memory", "settle", b.p.memSettle)
	time.Sleep(b.p.memSettle)
	rep.idle = readMem("all-in-one (docker driver), idle", a.proc, 0)

	if b.p.on("latency") {
		b.log.Info("phase 1: create-to-running, one at a time", "runs", b.p.runs)
		l := b.phaseLatency(ctx, a)
		rep.latency = &l
		if l.Err != nil && ctx.Err() == nil {
			b.log.Error("phase 1 failed", "err", l.Err, "log", a.proc.logTail(20))
		}
	}
	if ctx.Err() != nil {
		return
	}
	if b.p.on("volume") {
		b.log.Info("phase 1b: create-to-running with a new 1 GB volume", "runs", volumeRuns(b.p.runs))
		v := b.phaseVolume(ctx, a)
		rep.volume = &v
		if v.Err != nil && ctx.Err() == nil {
			b.log.Error("phase 1b failed", "err", v.Err, "log", a.proc.logTail(20))
		}
	}
	if ctx.Err() != nil {
		return
	}
	if b.p.on("parallel") {
		b.parallelPhases(ctx, a, rep)
	}
	if ctx.Err() != nil || !b.p.on("many") {
		return
	}
	b.runCapsulePhase(ctx, rep, a)
	if ctx.Err() != nil {
		return
	}
	b.log.Info("phase 4: all-in-one with running containers", "n", b.p.memN)
	m := b.phaseMany(ctx, a)
	rep.many = &m
	if m.Err != nil && ctx.Err() == nil {
		b.log.Error("phase 4 (many) failed", "err", m.Err, "log", a.proc.logTail(20))
	}
}

func (b *bench) parallelPhases(ctx context.Context, a *aio, rep *report) {
	b.log.Info("phase 2: parallel creates", "n", b.p.parallel, "rounds", b.p.rounds)
	p := b.phaseParallel(ctx, a, b.p.rounds, b.gatedPlan())
	rep.parallel = &p
	if p.Err != nil && ctx.Err() == nil {
		b.log.Error("phase 2 failed", "err", p.Err, "log", a.proc.logTail(20))
	}
	for _, plan := range []pollPlan{b.constPlan(), every(slowPoll)} {
		if ctx.Err() != nil {
			return
		}
		b.log.Info("phase 2 diagnostic round", "poll", plan.String())
		d := b.phaseParallel(ctx, a, 1, plan)
		rep.parDiag = append(rep.parDiag, &d)
	}
}

// machine describes the host: cpus, OS, Docker and Go versions.
func machine(e *engine) string {
	osName := runtime.GOOS
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	return fmt.Sprintf("%d CPUs, %s, Docker %s (API %s negotiated), %s", runtime.NumCPU(), osName, e.version, e.api, runtime.Version())
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
