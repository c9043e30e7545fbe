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
	pollInterval time.Duration // GET/inspect poll period of timed waits
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "./bin", "directory holding zun-api and zun-compute (built by make build)")
	runs := fs.Int("runs", 30, "measured create-to-running runs of each path (phase 1)")
	quick := fs.Bool("quick", false, "smoke test: fewer runs and containers, shorter windows")
	out := fs.String("out", "", "also write the markdown report to this file")
	only := fs.String("only", "", `run one phase alone: "volume" (create-to-running with a new volume)`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p := params{
		runs: *runs, parallel: 20, rounds: 3, scaleN: 10000, createPool: 16,
		hammerG: 32, hammerWarm: time.Second, hammerDur: 10 * time.Second,
		memN: 100, memSettle: 5 * time.Second, computeIdle: 10 * time.Second,
		quick: *quick, pollInterval: 5 * time.Millisecond, only: *only,
	}
	if p.only != "" && p.only != "volume" {
		fmt.Fprintln(stderr, "bench: -only takes volume")
		return 2
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
	for _, name := range []string{"zun-api", "zun-compute"} {
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
