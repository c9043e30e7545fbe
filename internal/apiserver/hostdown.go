package apiserver

import (
	"context"
	"sync"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/zunctx"
)

// downHosts is a view of which compute hosts are down, refreshed from the
// services table at most every hostStateTTL. A container on a down host is
// shown Unknown (hardening F.29): the API cannot know whether it still
// runs, and saying Running (or worse, Deleted) would be a guess. The record
// is not changed: when the host's agent is back its reconcile reports the
// real state, and the view shows it again.
type downHosts struct {
	mu      sync.Mutex
	fetched time.Time
	down    map[string]bool
	loading bool
}

const hostStateTTL = 2 * time.Second

// hostDown reports whether host's compute service is down. It never blocks
// a request on the refresh of another one: a request arriving while the
// view is being refreshed uses the previous one.
func (s *Server) hostDown(ctx context.Context, host string) bool {
	d := &s.downHosts
	now := s.now()
	d.mu.Lock()
	stale := now.Sub(d.fetched) > hostStateTTL
	first := d.down == nil
	if stale && !d.loading {
		d.loading = true
		d.mu.Unlock()
		down, err := s.loadDownHosts(ctx, now)
		d.mu.Lock()
		d.loading = false
		if err == nil {
			d.down, d.fetched = down, now
		} else {
			s.log.Warn("reading service states", "err", err)
		}
	} else if first {
		// Another request is loading the first view: assume up rather than
		// wait.
		d.mu.Unlock()
		return false
	}
	isDown := d.down[host]
	d.mu.Unlock()
	return isDown
}

func (s *Server) loadDownHosts(ctx context.Context, now time.Time) (map[string]bool, error) {
	list, err := s.store.Services().List(zunctx.System(ctx))
	if err != nil {
		return nil, err
	}
	down := map[string]bool{}
	for _, sv := range list {
		if sv.Binary == "zun-compute" && !sv.IsUp(now, s.cfg.ServiceDownTime) {
			down[sv.Host] = true
		}
	}
	return down, nil
}

// unknownWhileHostDown is the status a container of a down host is shown
// with: the statuses its agent would keep current become Unknown, with the
// last known one in the reason.
func (s *Server) unknownWhileHostDown(ctx context.Context, v *api.Container, c *model.Container) {
	if c.Host == "" || c.TaskState != "" {
		return
	}
	switch c.Status {
	case api.StatusRunning, api.StatusStopped, api.StatusPaused, api.StatusCreated, api.StatusRestarting:
	default:
		return
	}
	if !s.hostDown(ctx, c.Host) {
		return
	}
	v.Status = api.StatusUnknown
	reason := "The container's compute host is not responding; its last reported status is " + c.Status + "."
	v.StatusReason = &reason
}
