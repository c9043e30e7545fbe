package docker

import (
	"context"
	"strings"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
)

// stateActions are the engine actions that change a container's state;
// exec_*, attach, top, copy and the like are dropped.
var stateActions = map[events.Action]bool{
	events.ActionCreate:  true,
	events.ActionStart:   true,
	events.ActionRestart: true,
	events.ActionStop:    true,
	events.ActionKill:    true,
	events.ActionDie:     true,
	events.ActionOOM:     true,
	events.ActionPause:   true,
	events.ActionUnPause: true,
	events.ActionDestroy: true,
	events.ActionUpdate:  true,
}

// Events streams state changes of Zun-managed containers. Health changes
// keep Docker's action text ("health_status: healthy"). The channel closes
// when ctx ends or the engine's stream breaks; the caller then reconnects
// and resynchronises with List.
func (d *Driver) Events(ctx context.Context) (<-chan container.Event, error) {
	// The client reports a failed subscription only on its error channel;
	// a ping first gives the caller an error for an unreachable engine.
	if _, err := d.cli.Ping(ctx, client.PingOptions{}); err != nil {
		return nil, translate("subscribe to docker events", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	res := d.cli.Events(ctx, client.EventsListOptions{
		Filters: d.managedFilter().Add("type", string(events.ContainerEventType)),
	})
	out := make(chan container.Event, 64)
	go func() {
		defer cancel()
		defer close(out)
		for {
			select {
			case m := <-res.Messages:
				ev, ok := toEvent(m)
				if !ok {
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case err := <-res.Err:
				if ctx.Err() == nil {
					d.log.WarnContext(ctx, "docker event stream ended", "error", err)
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func toEvent(m events.Message) (container.Event, bool) {
	if m.Type != events.ContainerEventType {
		return container.Event{}, false
	}
	if !stateActions[m.Action] && !strings.HasPrefix(string(m.Action), string(events.ActionHealthStatus)) {
		return container.Event{}, false
	}
	uuid := m.Actor.Attributes[container.LabelUUID]
	if uuid == "" {
		uuid = strings.TrimPrefix(m.Actor.Attributes["name"], "zun-")
	}
	return container.Event{UUID: uuid, Action: string(m.Action)}, true
}
