package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/model"
)

// pruneEvery is how often a service deletes expired revocation events.
const pruneEvery = 10 * time.Minute

// revoke records a revocation event issued now, for tokens that expire no
// later than until (zero: any token alive now), persists it for every
// verifier and applies it to this service's verifier at once. Callers
// revoke after the change that motivates it (a password, a role, a
// deletion) so a token issued concurrently from the old state is covered:
// its issue time was taken before its checks.
func (s *Service) revoke(ctx context.Context, e model.Revocation, until time.Time) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	e.IssuedBefore = now
	e.ExpiresAt = now.Add(s.cfg.TokenTTL + maxSkew)
	if !until.IsZero() {
		e.ExpiresAt = until.Add(maxSkew)
	}
	// Applied locally first: even if persisting fails, this process
	// refuses the tokens from now on.
	s.ver.Revoke(e)
	ctx = context.WithoutCancel(ctx)
	if err := s.st.AddRevocation(ctx, e); err != nil {
		return fmt.Errorf("record token revocation: %w", err)
	}
	if next := s.pruneAt.Load(); now.UnixNano() >= next && s.pruneAt.CompareAndSwap(next, now.Add(pruneEvery).UnixNano()) {
		if err := s.st.PruneRevocations(ctx, now); err != nil {
			s.log.WarnContext(ctx, "prune of expired token revocations failed", "err", err)
		}
	}
	return nil
}

// revokeAll records several events; the first failure is returned after
// every event was tried.
func (s *Service) revokeAll(ctx context.Context, events ...model.Revocation) error {
	var first error
	for _, e := range events {
		if err := s.revoke(ctx, e, time.Time{}); err != nil && first == nil {
			first = err
		}
	}
	return first
}
