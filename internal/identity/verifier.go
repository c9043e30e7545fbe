package identity

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/zunctx"
)

// Validator checks a token and returns who it authenticates and when it
// expires. Invalid, tampered, foreign, revoked or expired tokens give an
// error wrapping errdefs.ErrUnauthorized. The identity carries ids and role
// names only (UserName and ProjectName are empty): that is all a token
// holds.
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
	// DefaultRefresh is how stale a Verifier's key set and revocation list
	// may be: a token revoked by another process is refused at most this
	// long after the revocation.
	DefaultRefresh = 2 * time.Second
	// unknownKeyRefresh rate-limits the refreshes a token signed by an
	// unknown key triggers.
	unknownKeyRefresh = time.Second
)

// TrustStore is what a Verifier reads from the database: the public
// signing keys and the revocation events (store.Identity has both).
type TrustStore interface {
	ListSigningKeys(ctx context.Context, now time.Time) ([]model.SigningKey, error)
	ListRevocations(ctx context.Context, now time.Time) ([]model.Revocation, error)
}

// Verifier validates tokens with public keys alone: a token's signature,
// expiry and revocation are checked without looking its user up, so
// zun-api, zun-wsproxy and other processes sharing the database can use
// it. Verified tokens are cached until expiry (a signature check costs
// tens of microseconds, a cache hit a fraction of one); revocation is
// checked on every call against an index refreshed from the TrustStore
// whenever it is older than the refresh bound, and updated at once by
// Revoke in the process that revokes.
type Verifier struct {
	now     func() time.Time
	log     *slog.Logger
	src     TrustStore // nil: fixed keys, local revocations only
	refresh time.Duration

	keys atomic.Pointer[map[string]ed25519.PublicKey]
	revs atomic.Pointer[revIndex]

	refreshMu   sync.Mutex
	lastRefresh atomic.Int64 // unix nanos of the last successful refresh
	lastUnknown atomic.Int64 // unix nanos of the last unknown-key refresh

	limit int64    // cache entries
	cache sync.Map // token string -> *claims
	size  atomic.Int64
	mu    sync.Mutex // serialises eviction
}

// NewVerifier returns a Verifier of tokens signed by the private half of
// pub (fixed key, no shared revocation list).
func NewVerifier(pub ed25519.PublicKey) *Verifier {
	v := newVerifier(nil, 0, nil)
	v.keys.Store(&map[string]ed25519.PublicKey{keyID(pub): slices.Clone(pub)})
	return v
}

// NewStoreVerifier returns a Verifier whose key set and revocation events
// come from src, re-read when older than refresh (DefaultRefresh if 0).
func NewStoreVerifier(src TrustStore, refresh time.Duration, log *slog.Logger) *Verifier {
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	return newVerifier(src, refresh, log)
}

func newVerifier(src TrustStore, refresh time.Duration, log *slog.Logger) *Verifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{now: time.Now, log: log, src: src, refresh: refresh, limit: defaultCacheLimit}
	v.keys.Store(&map[string]ed25519.PublicKey{})
	v.revs.Store(&revIndex{})
	return v
}

// Validate implements Validator.
func (v *Verifier) Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error) {
	c, err := v.claimsCtx(ctx, token)
	if err != nil {
		return zunctx.Identity{}, time.Time{}, err
	}
	return zunctx.Identity{
		UserID:    c.UserID,
		ProjectID: c.ProjectID,
		DomainID:  c.DomainID,
		Roles:     slices.Clone(c.Roles),
	}, c.Expires, nil
}

func (v *Verifier) claims(token string) (*claims, error) {
	return v.claimsCtx(context.Background(), token)
}

// claimsCtx returns the verified, unexpired, unrevoked claims of token.
func (v *Verifier) claimsCtx(ctx context.Context, token string) (*claims, error) {
	v.ensureFresh(ctx, false)
	now := v.now()
	if e, ok := v.cache.Load(token); ok {
		c := e.(*claims)
		if now.Before(c.Expires) {
			if v.revs.Load().revoked(c) {
				return nil, errBadToken
			}
			return c, nil
		}
		if v.cache.CompareAndDelete(token, e) {
			v.size.Add(-1)
		}
		return nil, errBadToken
	}
	c, err := verify(v.key, token)
	if err == errUnknownKey && v.src != nil {
		// Perhaps a key rotated in by another process: look again.
		v.ensureFresh(ctx, true)
		c, err = verify(v.key, token)
	}
	if err != nil {
		return nil, errBadToken
	}
	if !now.Before(c.Expires) || c.Issued.After(now.Add(maxSkew)) || !c.Issued.Before(c.Expires) {
		return nil, errBadToken
	}
	if v.revs.Load().revoked(c) {
		return nil, errBadToken
	}
	if _, loaded := v.cache.LoadOrStore(token, c); !loaded {
		if v.size.Add(1) > v.limit {
			v.evict(now)
		}
	}
	return c, nil
}

func (v *Verifier) key(kid string) ed25519.PublicKey { return (*v.keys.Load())[kid] }

// ensureFresh re-reads keys and revocations when they are older than the
// refresh bound (or, with unknownKey, at most once a second). Callers wait
// for a refresh in progress, so no one validates against a stale list.
func (v *Verifier) ensureFresh(ctx context.Context, unknownKey bool) {
	if v.src == nil {
		return
	}
	stale := func() bool {
		now := v.now().UnixNano()
		if unknownKey {
			return now-v.lastUnknown.Load() >= int64(unknownKeyRefresh)
		}
		return now-v.lastRefresh.Load() >= int64(v.refresh)
	}
	if !stale() {
		return
	}
	v.refreshMu.Lock()
	defer v.refreshMu.Unlock()
	if !stale() {
		return
	}
	if unknownKey {
		v.lastUnknown.Store(v.now().UnixNano())
	}
	if err := v.Refresh(ctx); err != nil {
		// Keep the last lists; the next call tries again.
		v.log.WarnContext(ctx, "refresh of signing keys and revocations failed", "err", err)
	}
}

// Refresh re-reads the key set and the revocation events now.
func (v *Verifier) Refresh(ctx context.Context) error {
	if v.src == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := v.now()
	keys, err := v.src.ListSigningKeys(ctx, now)
	if err != nil {
		return err
	}
	events, err := v.src.ListRevocations(ctx, now)
	if err != nil {
		return err
	}
	m := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		if len(k.PublicKey) == ed25519.PublicKeySize {
			m[k.ID] = ed25519.PublicKey(k.PublicKey)
		}
	}
	v.keys.Store(&m)
	v.revs.Store(newRevIndex(events))
	v.lastRefresh.Store(now.UnixNano())
	return nil
}

// addKey adds a key to the set at once (the process that creates it).
func (v *Verifier) addKey(kid string, pub ed25519.PublicKey) {
	for {
		old := v.keys.Load()
		if _, ok := (*old)[kid]; ok {
			return
		}
		m := make(map[string]ed25519.PublicKey, len(*old)+1)
		for k, p := range *old {
			m[k] = p
		}
		m[kid] = slices.Clone(pub)
		if v.keys.CompareAndSwap(old, &m) {
			return
		}
	}
}

// Revoke applies a revocation event at once, before the next refresh.
func (v *Verifier) Revoke(e model.Revocation) {
	for {
		old := v.revs.Load()
		if v.revs.CompareAndSwap(old, old.with(e)) {
			return
		}
	}
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
