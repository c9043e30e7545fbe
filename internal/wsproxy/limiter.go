package wsproxy

import (
	"context"
	"errors"
	"sync"
)

// SessionLimiter admits a user's sessions against a limit.
type SessionLimiter interface {
	// Acquire admits one more session of user, or answers ErrTooMany.
	// release ends it.
	Acquire(ctx context.Context, user string) (release func(), err error)
}

// ErrTooMany is a user at the session limit.
var ErrTooMany = errors.New("too many sessions of the user")

// counts is one process's sessions per user, reservations included.
type counts struct {
	mu     sync.Mutex
	byUser map[string]int
}

func (c *counts) add(user string, d int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.byUser[user] + d
	if n <= 0 {
		delete(c.byUser, user)
	} else {
		c.byUser[user] = n
	}
	return n
}

func (c *counts) get(user string) int { return c.add(user, 0) }

// LocalLimiter bounds sessions per user within one proxy process.
type LocalLimiter struct {
	max int
	c   counts
}

// NewLocalLimiter allows max sessions per user.
func NewLocalLimiter(max int) *LocalLimiter {
	return &LocalLimiter{max: max, c: counts{byUser: map[string]int{}}}
}

// Acquire implements SessionLimiter.
func (l *LocalLimiter) Acquire(_ context.Context, user string) (func(), error) {
	if l.c.add(user, 1) > l.max {
		l.c.add(user, -1)
		return nil, ErrTooMany
	}
	var once sync.Once
	return func() { once.Do(func() { l.c.add(user, -1) }) }, nil
}
