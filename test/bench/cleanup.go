package main

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// cleaner runs registered undo steps in reverse order, once, with a fresh
// deadline so a cancelled run still cleans up.
type cleaner struct {
	log   *slog.Logger
	mu    sync.Mutex
	steps []cleanStep
}

type cleanStep struct {
	name string
	fn   func(context.Context) error
}

// add registers fn to run at exit; it returns a function that runs fn now
// (and not again at exit).
func (c *cleaner) add(name string, fn func(context.Context) error) func() {
	c.mu.Lock()
	c.steps = append(c.steps, cleanStep{name: name, fn: fn})
	idx := len(c.steps) - 1
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		s := c.steps[idx]
		c.steps[idx].fn = nil
		c.mu.Unlock()
		c.exec(s)
	}
}

func (c *cleaner) exec(s cleanStep) {
	if s.fn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.fn(ctx); err != nil {
		c.log.Warn("cleanup step failed", "step", s.name, "err", err)
	}
}

// run executes every pending step, last registered first.
func (c *cleaner) run() {
	c.mu.Lock()
	steps := c.steps
	c.steps = nil
	c.mu.Unlock()
	for i := len(steps) - 1; i >= 0; i-- {
		c.exec(steps[i])
	}
}
