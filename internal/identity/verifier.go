package identity

import (
	"context"
	"crypto/ed25519"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openzun/zun/internal/zunctx"
)

// Validator checks a token and returns who it authenticates and when it
// expires. Invalid, tampered, foreign or expired tokens give an error
// wrapping errdefs.ErrUnauthorized. The identity carries ids and role names
// only (UserName and ProjectName are empty): that is all a token holds.
type Validator interface {
	Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error)
}

var (
	_ Validator = (*Verifier)(nil)
	_ Validator = (*Service)(nil)
)

const (
	// defaultCacheLimit bounds the verified-token cache. Only tokens with a
	// good signature enter it, so it cannot be filled by forged tokens.
	defaultCacheLimit = 1 << 16
	// maxSkew tolerates issuers whose clock runs ahead.
	maxSkew = time.Minute
)

// Verifier validates tokens with the public key alone; it needs no store,
// so zun-wsproxy and other processes sharing the key can use it. Verified
// tokens are cached until expiry: a signature check costs tens of
// microseconds, a cache hit a fraction of one.
type Verifier struct {
	pub   ed25519.PublicKey
	now   func() time.Time
	limit int64    // cache entries
	cache sync.Map // token string -> *claims
	size  atomic.Int64
	mu    sync.Mutex // serialises eviction
}

// NewVerifier returns a Verifier of tokens signed by the private half of pub.
func NewVerifier(pub ed25519.PublicKey) *Verifier {
	return &Verifier{pub: slices.Clone(pub), now: time.Now, limit: defaultCacheLimit}
}

// Validate implements Validator.
func (v *Verifier) Validate(_ context.Context, token string) (zunctx.Identity, time.Time, error) {
	c, err := v.claims(token)
	if err != nil {
		return zunctx.Identity{}, time.Time{}, err
	}
	return zunctx.Identity{
		UserID:    c.UserID,
		ProjectID: c.ProjectID,
		DomainID:  DefaultDomainID,
		Roles:     slices.Clone(c.Roles),
	}, c.Expires, nil
}

// claims returns the verified, unexpired claims of token.
func (v *Verifier) claims(token string) (*claims, error) {
	now := v.now()
	if e, ok := v.cache.Load(token); ok {
		c := e.(*claims)
		if now.Before(c.Expires) {
			return c, nil
		}
		if v.cache.CompareAndDelete(token, e) {
			v.size.Add(-1)
		}
		return nil, errBadToken
	}
	c, err := verify(v.pub, token)
	if err != nil {
		return nil, err
	}
	if !now.Before(c.Expires) || c.Issued.After(now.Add(maxSkew)) || !c.Issued.Before(c.Expires) {
		return nil, errBadToken
	}
	if _, loaded := v.cache.LoadOrStore(token, c); !loaded {
		if v.size.Add(1) > v.limit {
			v.evict(now)
		}
	}
	return c, nil
}

// evict drops expired entries and, if the cache is still full, half of
// the rest (in map order, which is effectively random).
func (v *Verifier) evict(now time.Time) {
	if !v.mu.TryLock() {
		return // another goroutine is evicting
	}
	defer v.mu.Unlock()
	drop := func(k, e any) {
		if v.cache.CompareAndDelete(k, e) {
			v.size.Add(-1)
		}
	}
	v.cache.Range(func(k, e any) bool {
		if !now.Before(e.(*claims).Expires) {
			drop(k, e)
		}
		return true
	})
	i := 0
	v.cache.Range(func(k, e any) bool {
		if v.size.Load() <= v.limit/2 {
			return false
		}
		if i%2 == 0 {
			drop(k, e)
		}
		i++
		return true
	})
}
