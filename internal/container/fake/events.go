package fake

import (
	"context"
	"sync"

	"github.com/openzun/zun/internal/container"
)

// subscriber queues events without bound so publishing never blocks the
// driver and never drops an event; a pump goroutine feeds the channel.
type subscriber struct {
	mu     sync.Mutex
	queue  []container.Event
	notify chan struct{}
}

// Events delivers every state change until ctx ends, then closes the
// channel.
func (d *Driver) Events(ctx context.Context) (<-chan container.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &subscriber{notify: make(chan struct{}, 1)}
	d.mu.Lock()
	d.subs[s] = struct{}{}
	d.mu.Unlock()
	out := make(chan container.Event)
	go func() {
		defer close(out)
		defer func() {
			d.mu.Lock()
			delete(d.subs, s)
			d.mu.Unlock()
		}()
		for {
			s.mu.Lock()
			batch := s.queue
			s.queue = nil
			s.mu.Unlock()
			for _, ev := range batch {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-s.notify:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// publish queues action on e for every subscriber. Caller holds d.mu.
func (d *Driver) publish(e *entry, action string) {
	ev := container.Event{UUID: e.c.UUID, Action: action}
	for s := range d.subs {
		s.mu.Lock()
		s.queue = append(s.queue, ev)
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}
