package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/model"
)

// refreshTimeout bounds one shared snapshot load. The load runs detached
// from the caller that started it, so that caller's cancellation does not
// fail the others waiting on the same load.
const refreshTimeout = 30 * time.Second

// refresh is one in-flight snapshot load shared by concurrent callers.
type refresh struct {
	done chan struct{}
	snap *Snapshot
	gen  uint64
	err  error
}

// maxStaleFactor bounds how old (in TTLs) a snapshot may be and still be
// served while its replacement loads in the background.
const maxStaleFactor = 3

// snapshot returns the cached snapshot and its generation. A snapshot
// younger than the TTL is returned as is. One older than the TTL, but
// younger than maxStaleFactor TTLs, is returned while a background refresh
// replaces it: the claim re-checks capacity, so slightly stale data costs at
// most a conflict, while blocking every caller on each reload would not. An
// empty cache, an invalidated one, a very old one, or one not newer than
// generation newerThan (when newerThan > 0) is waited for.
func (s *Scheduler) snapshot(ctx context.Context, newerThan uint64) (*Snapshot, uint64, error) {
	s.mu.RLock()
	snap, gen, taken, stale := s.snap, s.gen, s.takenAt, s.stale
	s.mu.RUnlock()
	age := s.now().Sub(taken)
	usable := snap != nil && !stale && (newerThan == 0 || gen > newerThan)
	if usable && age < s.cfg.SnapshotTTL {
		return snap, gen, nil
	}

	s.refreshMu.Lock()
	call := s.inflight
	if call == nil {
		call = &refresh{done: make(chan struct{})}
		s.inflight = call
		go s.load(context.WithoutCancel(ctx), call)
	}
	s.refreshMu.Unlock()
	if usable && age < maxStaleFactor*s.cfg.SnapshotTTL {
		return snap, gen, nil
	}

	select {
	case <-call.done:
		return call.snap, call.gen, call.err
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("failed to load scheduler snapshot: %w", ctx.Err())
	}
}

// load reads the Source, installs the new snapshot and wakes the waiters.
func (s *Scheduler) load(ctx context.Context, call *refresh) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	s.mu.RLock()
	full := s.stale
	s.mu.RUnlock()
	snap, err := s.read(ctx, full)

	s.mu.Lock()
	if err == nil {
		s.gen++
		s.snap, s.takenAt, s.stale = snap, snap.Now, false
		call.snap, call.gen = snap, s.gen
	}
	s.mu.Unlock()
	call.err = err

	s.refreshMu.Lock()
	s.inflight = nil
	s.refreshMu.Unlock()
	close(call.done)

	if err != nil {
		s.log.Warn("scheduler snapshot load failed", "error", err)
		return
	}
	s.log.Debug("scheduler snapshot loaded", "hosts", len(snap.Hosts), "generation", call.gen)
}

// read builds a snapshot. Usage is read every time; the inventory (nodes
// and services, which change slowly and cost most to read) only when the
// cache was invalidated or is older than Config.InventoryTTL. It runs in
// one load at a time, so s.inv needs no lock.
func (s *Scheduler) read(ctx context.Context, full bool) (*Snapshot, error) {
	now := s.now()
	if full || s.inv.nodes == nil || now.Sub(s.inv.at) >= s.cfg.InventoryTTL {
		nodes, err := s.src.Hosts(ctx)
		if err != nil {
			return nil, fmt.Errorf("failed to list compute nodes: %w", err)
		}
		services, err := s.src.Services(ctx)
		if err != nil {
			return nil, fmt.Errorf("failed to list services: %w", err)
		}
		s.inv = inventory{nodes: nodes, services: services, at: now}
	}
	usage, err := s.src.Usage(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to read host usage: %w", err)
	}
	return NewSnapshot(now, s.inv.nodes, s.inv.services, usage), nil
}

// inventory is the last read of the slowly changing part of a snapshot.
type inventory struct {
	nodes    []*model.ComputeNode
	services []*model.Service
	at       time.Time
}

// Invalidate makes the next Schedule reload the whole snapshot (inventory
// and usage), for example after an allocation was released or a service
// was disabled.
func (s *Scheduler) Invalidate() {
	s.mu.Lock()
	s.stale = true
	s.mu.Unlock()
}
