package keystone

import (
	"context"
	"sync"
)

// flight collapses concurrent questions about the same token into one
// request to Keystone. Unlike x/sync/singleflight, a waiter gives up when
// its own context ends without cancelling the request others wait for.
type flight struct {
	mu    sync.Mutex
	calls map[tokenKey]*call
}

type call struct {
	done chan struct{}
	ans  answer
	err  error // Keystone could not answer
}

// do runs fn once for all concurrent callers of k and returns its result.
func (f *flight) do(ctx context.Context, k tokenKey, fn func() (answer, error)) (answer, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[tokenKey]*call{}
	}
	c, ok := f.calls[k]
	if !ok {
		c = &call{done: make(chan struct{})}
		f.calls[k] = c
		go func() {
			c.ans, c.err = fn()
			f.mu.Lock()
			delete(f.calls, k)
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.ans, c.err
	case <-ctx.Done():
		return answer{}, ctx.Err()
	}
}
