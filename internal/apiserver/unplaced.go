package apiserver

import (
	"context"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// unplacedReason is the status reason of a create the API accepted but
// never handed to a host (it stopped in between).
const unplacedReason = "The API service stopped before the container was scheduled; delete it and create it again."

// SweepUnplaced ends the creates that an API process accepted and then
// never placed (it was killed between the insert and the cast): a record
// still Creating, without a host, older than olderThan, is put in Error
// with the reason and its reservations released, as Zun's recovery does
// for containers left creating. Live creates are placed within a second,
// so an age of a minute never touches one another API process is still
// placing. It returns how many it ended.
func (s *Server) SweepUnplaced(ctx context.Context, olderThan time.Duration) (int, error) {
	sys := zunctx.WithAllProjects(zunctx.System(ctx))
	list, err := s.store.Containers().List(sys, store.ContainerFilter{Status: api.StatusCreating, TaskState: api.TaskContainerCreating},
		store.ListOptions{})
	if err != nil {
		return 0, err
	}
	cutoff := s.now().Add(-olderThan)
	n := 0
	for _, c := range list {
		if c.Host != "" || c.CreatedAt.After(cutoff) {
			continue
		}
		ended := false
		_, err := s.store.Containers().Update(sys, c.UUID, func(x *model.Container) error {
			if x.Host != "" || x.Status != api.StatusCreating {
				return nil // placed or changed since the list
			}
			x.Status, x.StatusReason, x.TaskState = api.StatusError, unplacedReason, ""
			ended = true
			return nil
		})
		if err != nil || !ended {
			continue
		}
		s.releaseVolumes(sys, c.UUID)
		if acts, err := s.store.Actions().List(sys, c.UUID); err == nil {
			for _, a := range acts {
				if a.Action == "create" && a.FinishTime.IsZero() {
					_ = s.store.Actions().Finish(sys, c.UUID, a.RequestID, s.now().UTC(), unplacedReason)
				}
			}
		}
		s.log.Warn("ended a create that was never placed", "uuid", c.UUID, "created_at", c.CreatedAt)
		n++
	}
	return n, nil
}

// RunUnplacedSweeper runs SweepUnplaced at start and every interval until
// ctx ends.
func (s *Server) RunUnplacedSweeper(ctx context.Context, interval, olderThan time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.SweepUnplaced(ctx, olderThan); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping unplaced creates", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
