package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Scheduler places containers on hosts: Select over a cached snapshot, then
// a durable Claim. It is safe for concurrent use.
type Scheduler struct {
	cfg      Config
	src      Source
	claimer  Claimer
	group    *groupClaimer // nil: claims go one by one to claimer
	log      *slog.Logger
	now      func() time.Time
	filters  []Filter
	weighers []Weigher
	rngs     sync.Pool // of *rand.Rand; Select draws one offset per call

	// mu guards the fields below and the Used/refusal state of the cached
	// snapshot's hosts: Select runs under the read lock, claim results
	// are recorded under the write lock.
	mu      sync.RWMutex
	snap    *Snapshot
	gen     uint64
	takenAt time.Time
	stale   bool

	refreshMu sync.Mutex
	inflight  *refresh
	inv       inventory // owned by the one running load
}

// New returns a scheduler reading hosts from src and claiming through
// claimer. now is the clock (time.Now in production). An unknown filter or
// weigher name gives errdefs.ErrInvalidArgument.
func New(cfg Config, src Source, claimer Claimer, logger *slog.Logger, now func() time.Time) (*Scheduler, error) {
	if src == nil || claimer == nil {
		return nil, fmt.Errorf("scheduler needs a source and a claimer: %w", errdefs.ErrInvalidArgument)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	cfg = cfg.withDefaults()
	fs, ws, err := cfg.build()
	if err != nil {
		return nil, err
	}
	s := &Scheduler{
		cfg:      cfg,
		src:      src,
		claimer:  claimer,
		log:      logger.With("component", "scheduler"),
		now:      now,
		filters:  fs,
		weighers: ws,
	}
	if bc, ok := claimer.(BatchClaimer); ok && cfg.ClaimBatch > 1 {
		s.group = &groupClaimer{bc: bc, max: cfg.ClaimBatch}
	}
	var seq uint64
	var seqMu sync.Mutex
	seed := rand.Uint64()
	s.rngs.New = func() any {
		seqMu.Lock()
		seq++
		n := seq
		seqMu.Unlock()
		return rand.New(rand.NewPCG(seed, n))
	}
	return s, nil
}

// Schedule picks a host for r and durably claims r's resources on it. It
// returns the hostname. When no host can take r the error is ErrNoValidHost
// (category errdefs.ErrConflict); a claim failing for another reason is
// returned wrapped.
func (s *Scheduler) Schedule(ctx context.Context, r *Request) (string, error) {
	if r == nil || r.ContainerUUID == "" {
		return "", fmt.Errorf("schedule request needs a container uuid: %w", errdefs.ErrInvalidArgument)
	}
	if r.CPU < 0 || r.Memory < 0 || r.Disk < 0 {
		return "", fmt.Errorf("schedule request for container %q has negative resources: %w", r.ContainerUUID, errdefs.ErrInvalidArgument)
	}
	snap, gen, err := s.snapshot(ctx, 0)
	if err != nil {
		return "", err
	}
	for refreshed := false; ; refreshed = true {
		host, conflicts, err := s.try(ctx, snap, r)
		if err != nil || host != "" {
			return host, err
		}
		if conflicts == 0 || refreshed {
			s.log.Debug("no valid host", "container", r.ContainerUUID, "conflicts", conflicts)
			return "", ErrNoValidHost
		}
		// Every candidate was taken by someone else: the view is behind
		// the store. Look once more at a newer snapshot.
		if snap, gen, err = s.snapshot(ctx, gen); err != nil {
			return "", err
		}
	}
}

// try selects candidates on snap and claims the first that accepts. It
// returns the chosen host, or "" with the number of refused claims.
func (s *Scheduler) try(ctx context.Context, snap *Snapshot, r *Request) (string, int, error) {
	rng := s.rngs.Get().(*rand.Rand)
	s.mu.RLock()
	cands := SelectWith(snap, r, s.filters, s.weighers, rng, s.cfg.Select)
	s.mu.RUnlock()
	s.rngs.Put(rng)

	conflicts := 0
	for _, h := range cands {
		name := h.Node.Hostname
		err := s.claim(ctx, model.Allocation{
			ContainerUUID: r.ContainerUUID,
			Host:          name,
			CPU:           r.CPU,
			Memory:        r.Memory,
			Disk:          r.Disk,
		})
		if err == nil {
			s.mu.Lock()
			h.Consume(r)
			s.mu.Unlock()
			return name, conflicts, nil
		}
		if !errors.Is(err, errdefs.ErrConflict) {
			return "", conflicts, fmt.Errorf("failed to claim host %q for container %q: %w", name, r.ContainerUUID, err)
		}
		conflicts++
		s.log.Debug("claim refused", "host", name, "container", r.ContainerUUID, "error", err)
		s.mu.Lock()
		h.Refuse(r)
		s.mu.Unlock()
	}
	return "", conflicts, nil
}

// claim durably claims a, in a batch with the claims of concurrent calls
// when the claimer can batch.
func (s *Scheduler) claim(ctx context.Context, a model.Allocation) error {
	if s.group != nil {
		return s.group.claim(ctx, a)
	}
	return s.claimer.Claim(ctx, a)
}
