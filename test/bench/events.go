package main

import (
	"context"
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// eventLog records when the engine reported create and start of the
// containers of one Zun host (keyed by the zun.uuid label), to split the
// API path's time into phases without touching the services.
type eventLog struct {
	mu      sync.Mutex
	create  map[string]time.Time
	start   map[string]time.Time
	waiters map[string][]chan struct{} // closed at the start event
}

// watchHost follows the engine's container events of Zun host until ctx
// ends.
func (e *engine) watchHost(ctx context.Context, host string) *eventLog {
	l := &eventLog{create: map[string]time.Time{}, start: map[string]time.Time{}, waiters: map[string][]chan struct{}{}}
	res := e.cli.Events(ctx, client.EventsListOptions{
		Filters: make(client.Filters).Add("type", "container").Add("label", "zun.host="+host),
	})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-res.Err:
				return
			case m := <-res.Messages:
				l.record(m)
			}
		}
	}()
	return l
}

func (l *eventLog) record(m events.Message) {
	uuid := m.Actor.Attributes["zun.uuid"]
	if uuid == "" {
		return
	}
	t := time.Unix(0, m.TimeNano)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch m.Action {
	case events.ActionCreate:
		l.create[uuid] = t
	case events.ActionStart:
		l.start[uuid] = t
		for _, ch := range l.waiters[uuid] {
			close(ch)
		}
		delete(l.waiters, uuid)
	}
}

// started returns a channel closed once the engine has sent the start
// event of uuid (at once if it already has).
func (l *eventLog) started(uuid string) <-chan struct{} {
	ch := make(chan struct{})
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.start[uuid]; ok {
		close(ch)
		return ch
	}
	l.waiters[uuid] = append(l.waiters[uuid], ch)
	return ch
}

// times returns the create and start event times of uuid, waiting briefly
// for events still in flight.
func (l *eventLog) times(uuid string) (created, started time.Time, ok bool) {
	for range 50 {
		l.mu.Lock()
		created, started = l.create[uuid], l.start[uuid]
		l.mu.Unlock()
		if !created.IsZero() && !started.IsZero() {
			return created, started, true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return created, started, false
}
