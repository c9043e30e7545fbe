package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// parallelRound is one burst of each path in phase 2.
type parallelRound struct {
	API, Raw time.Duration
}

// parallelResult is phase 2: N parallel creates until all running.
type parallelResult struct {
	N      int
	Poll   pollPlan // how each API waiter polls GET
	Rounds []parallelRound
	Err    error
}

// phaseParallel runs b.p.rounds bursts of b.p.parallel creates on each path,
// alternating which goes first; everything is deleted between bursts.
func (b *bench) phaseParallel(ctx context.Context, a *aio, rounds int, poll pollPlan) parallelResult {
	res := parallelResult{N: b.p.parallel, Poll: poll}
	for r := range rounds {
		var round parallelRound
		for k := range 2 {
			var err error
			if (k == 0) == (r%2 == 0) {
				round.API, err = b.burstAPI(ctx, a, r, poll)
			} else {
				round.Raw, err = b.burstRaw(ctx, r)
			}
			if err != nil {
				res.Err = fmt.Errorf("parallel round %d: %w", r+1, err)
				return res
			}
		}
		res.Rounds = append(res.Rounds, round)
		b.log.Info("phase 2 round", "round", r+1, "poll", poll.String(), "api", round.API, "raw", round.Raw)
	}
	return res
}

// parallelDo runs fn(0..n-1) on n goroutines and joins the errors.
func parallelDo(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return summarizeErrs(errs)
}

// summarizeErrs keeps the first error of many and counts the others, so a
// failed burst reports one line instead of one per container.
func summarizeErrs(errs []error) error {
	var first error
	n := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		n++
	}
	if n > 1 {
		return fmt.Errorf("%w (and %d more errors)", first, n-1)
	}
	return first
}

func (b *bench) burstAPI(ctx context.Context, a *aio, round int, poll pollPlan) (time.Duration, error) {
	uuids := make([]string, b.p.parallel)
	start := time.Now()
	err := parallelDo(b.p.parallel, func(i int) error {
		_, uuid, err := b.apiCreateToRunning(ctx, a, fmt.Sprintf("bench-par-%d-%d", round, i), poll)
		uuids[i] = uuid
		return err
	})
	wall := time.Since(start)
	derr := b.removeAll(ctx, a, uuids, b.p.parallel)
	return wall, errors.Join(err, derr)
}

func (b *bench) burstRaw(ctx context.Context, round int) (time.Duration, error) {
	ids := make([]string, b.p.parallel)
	start := time.Now()
	err := parallelDo(b.p.parallel, func(i int) error {
		_, id, err := b.rawCreateToRunning(ctx, fmt.Sprintf("bench-%s-par-%d-%d", b.runID, round, i))
		ids[i] = id
		return err
	})
	wall := time.Since(start)
	derr := parallelDo(len(ids), func(i int) error {
		if ids[i] == "" {
			return nil
		}
		return b.engine.remove(ctx, ids[i])
	})
	return wall, errors.Join(err, derr)
}

// removeAll deletes the containers through the API, workers at a time,
// waiting for each to be gone.
func (b *bench) removeAll(ctx context.Context, a *aio, uuids []string, workers int) error {
	return pool(ctx, len(uuids), workers, func(ctx context.Context, i int) error {
		if uuids[i] == "" {
			return nil
		}
		return a.remove(ctx, uuids[i], 2*time.Minute)
	})
}

// pool runs fn(0..n-1) on workers goroutines; the first error stops the
// hand-out of new items and is returned with the others.
func pool(parent context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	next := make(chan int)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					cancel()
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if len(errs) == 0 && parent.Err() != nil {
		errs = append(errs, parent.Err())
	}
	return summarizeErrs(errs)
}
