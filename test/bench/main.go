package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// params are the sizes of one run.
type params struct {
	bin          string
	only         string        // "volume": run phase 1b alone
	runs         int           // phase 1 measured runs of each path
	parallel     int           // phase 2 containers per burst
	rounds       int           // phase 2 bursts of each path
	scaleN       int           // phase 3 containers in the store
	createPool   int           // phase 3 concurrent creators
	hammerG      int           // phase 3 concurrent GET loops
	hammerWarm   time.Duration // phase 3 warm-up, not measured
	hammerDur    time.Duration // phase 3 measured window
	memN         int           // phase 4 running containers
	memSettle    time.Duration // phase 4 wait before reading idle RSS
	computeIdle  time.Duration // phase 4 idle time of zun-compute
	quick        bool
	capsuleOnly  bool          // run only the capsule phase
	pollInterval time.Duration // GET/inspect poll period of timed waits
	phases       map[string]bool
	logLevel     string // --log-level of the all-in-ones
	keepLogs     string // directory the service logs are copied to
}

// phaseNames are the values of -phases.
var phaseNames = []string{"latency", "volume", "parallel", "many", "scale", "compute", "wsproxy", "network"}

func (p params) on(phase string) bool { return p.phases[phase] }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "./bin", "directory holding zun-api and zun-compute (built by make build)")
	runs := fs.Int("runs", 30, "measured create-to-running runs of each path (phase 1)")
	quick := fs.Bool("quick", false, "smoke test: fewer runs and containers, shorter windows")
	out := fs.String("out", "", "also write the markdown report to this file")
	poll := fs.Duration("poll", 5*time.Millisecond, "poll period of the timed waits of both paths (GET on the API path, inspect on the floor)")
	phases := fs.String("phases", "all", "comma-separated phases to run: "+strings.Join(phaseNames, ",")+" (all: every one)")
	logLevel := fs.String("log-level", "info", "--log-level of the started services (debug adds the agent's step timings)")
	keepLogs := fs.String("keep-logs", "", "copy the started services' logs to this directory before removing them")
	capsuleOnly := fs.Bool("capsule-only", false, "run only the capsule phase (capsule against its containers one by one)")
	only := fs.String("only", "", `run one phase alone: "volume" (create-to-running with a new volume)`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p := params{
		runs: *runs, parallel: 20, rounds: 3, scaleN: 10000, createPool: 16,
		hammerG: 32, hammerWarm: time.Second, hammerDur: 10 * time.Second,
		memN: 100, memSettle: 5 * time.Second, computeIdle: 10 * time.Second,
		quick: *quick, pollInterval: *poll, capsuleOnly: *capsuleOnly, only: *only,
		logLevel: *logLevel, keepLogs: *keepLogs, phases: map[string]bool{},
	}
	for _, ph := range strings.Split(*phases, ",") {
		switch {
		case ph == "all":
			for _, n := range phaseNames {
				p.phases[n] = true
			}
		case slices.Contains(phaseNames, ph):
			p.phases[ph] = true
		default:
			fmt.Fprintf(stderr, "bench: unknown phase %q (want %s or all)\n", ph, strings.Join(phaseNames, ","))
			return 2
		}
	}
	if p.quick {
		p.runs = min(p.runs, 5)
		p.rounds, p.scaleN, p.hammerDur, p.hammerWarm = 1, 1000, 3*time.Second, 500*time.Millisecond
		p.memN, p.memSettle, p.computeIdle = 20, 2*time.Second, 3*time.Second
	}
	if p.runs < 1 {
		fmt.Fprintln(stderr, "bench: -runs must be at least 1")
		return 2
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	p.bin = abs
	for _, name := range []string{"zun-api", "zun-compute", "zun-pause"} {
		if _, err := os.Stat(filepath.Join(p.bin, name)); err != nil {
			fmt.Fprintf(stderr, "bench: %v (run make build first)\n", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	b := &bench{p: p, log: log, runID: newRunID(), clean: &cleaner{log: log}}
	defer b.clean.run()
	rep := b.runAll(ctx)

	md := rep.markdown()
	fmt.Fprint(stdout, md)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			log.Error("writing report", "file", *out, "err", err)
			return 1
		}
	}
	if ctx.Err() != nil {
		log.Error("interrupted")
		return 130
	}
	if err := errors.Join(rep.errs()...); err != nil {
		log.Error("some measurements failed", "err", err)
		return 1
	}
	return 0
}

// newRunID names this run's hosts, containers and labels.
func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
