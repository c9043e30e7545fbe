package keystone

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/openzun/zun/internal/zunctx"
)

// tokenKey is how a token is remembered: its SHA-256, so the cache holds
// no usable credential.
type tokenKey [sha256.Size]byte

func keyOf(token string) tokenKey { return sha256.Sum256([]byte(token)) }

// answer is what Keystone said about a token.
type answer struct {
	id      zunctx.Identity
	expires time.Time // the token's expiry
	err     error     // non-nil: the token is not valid
}

type cacheEntry struct {
	answer
	until time.Time // when the entry must be asked again
}

// cache is a bounded map of answers with per-entry deadlines. When full,
// expired entries go first, then a quarter of the rest in map order
// (effectively random): a flood of distinct tokens cannot grow it.
type cache struct {
	mu    sync.Mutex
	m     map[tokenKey]cacheEntry
	limit int
}

func newCache(limit int) *cache {
	return &cache{m: map[tokenKey]cacheEntry{}, limit: limit}
}

func (c *cache) get(k tokenKey, now time.Time) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return answer{}, false
	}
	if !now.Before(e.until) {
		delete(c.m, k)
		return answer{}, false
	}
	return e.answer, true
}

func (c *cache) put(k tokenKey, a answer, until, now time.Time) {
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.limit {
		c.evict(now)
	}
	c.m[k] = cacheEntry{answer: a, until: until}
}

// evict makes room; c.mu is held.
func (c *cache) evict(now time.Time) {
	for k, e := range c.m {
		if !now.Before(e.until) {
			delete(c.m, k)
		}
	}
	for k := range c.m {
		if len(c.m) < c.limit*3/4 {
			return
		}
		delete(c.m, k)
	}
}

func (c *cache) remove(k tokenKey) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
