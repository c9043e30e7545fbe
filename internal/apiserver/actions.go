package apiserver

import (
	"errors"
	"net/http"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/zunctx"
)

func (s *Server) actionView(q *request, a *model.Action, withEvents bool) api.ContainerAction {
	v := api.ContainerAction{Action: a.Action, ContainerUUID: a.ContainerUUID, RequestID: a.RequestID,
		UserID: a.UserID, ProjectID: a.ProjectID, StartTime: api.NewTime(a.StartTime), Message: strPtr(a.Message)}
	if q.version.Minor >= 33 {
		v.FinishTime = api.NewTime(a.FinishTime)
	}
	if withEvents {
		traces := s.policy.Allowed(q.ctx, "container:action:events", targetOf(a.ProjectID))
		v.Events = []api.ActionEvent{}
		for _, e := range a.Events {
			ev := api.ActionEvent{Event: e.Event, StartTime: api.NewTime(e.StartTime), FinishTime: api.NewTime(e.FinishTime), Result: strPtr(e.Result)}
			if traces {
				ev.Traceback = strPtr(e.Traceback)
			}
			v.Events = append(v.Events, ev)
		}
	}
	return v
}

func (s *Server) actionList(q *request) (int, any, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadContainer(q, "container:actions")
	if err != nil {
		return 0, nil, err
	}
	list, err := s.store.Actions().List(zunctx.System(q.ctx), c.UUID)
	if err != nil {
		return 0, nil, err
	}
	out := api.ContainerActionList{ContainerActions: make([]api.ContainerAction, 0, len(list))}
	for _, a := range list {
		out.ContainerActions = append(out.ContainerActions, s.actionView(q, a, false))
	}
	return http.StatusOK, out, nil
}

func (s *Server) actionShow(q *request) (int, any, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadContainer(q, "container:actions")
	if err != nil {
		return 0, nil, err
	}
	a, err := s.store.Actions().Get(zunctx.System(q.ctx), c.UUID, q.pathValue("rid"))
	if errors.Is(err, errdefs.ErrNotFound) {
		return 0, nil, errdefs.New(errdefs.ErrNotFound, "Action "+q.pathValue("rid")+" on container "+c.UUID+" could not be found.")
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.actionView(q, a, true), nil
}
