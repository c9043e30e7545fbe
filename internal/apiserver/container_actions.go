package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/zunctx"
)

// Allowed states per action (zun/common/utils.py VALID_STATES).
var validStates = map[string][]string{
	"start":          {api.StatusCreated, api.StatusStopped, api.StatusError},
	"stop":           {api.StatusRunning},
	"reboot":         {api.StatusCreated, api.StatusRunning, api.StatusStopped, api.StatusError},
	"pause":          {api.StatusRunning},
	"unpause":        {api.StatusPaused},
	"kill":           {api.StatusRunning},
	"rebuild":        {api.StatusCreated, api.StatusRunning, api.StatusStopped, api.StatusError},
	"logs":           {api.StatusCreated, api.StatusError, api.StatusPaused, api.StatusRunning, api.StatusStopped, api.StatusUnknown},
	"top":            {api.StatusRunning},
	"stats":          {api.StatusRunning},
	"execute":        {api.StatusRunning},
	"execute_resize": {api.StatusRunning},
	"attach":         {api.StatusRunning},
	"resize":         {api.StatusRunning},
	"get_archive":    {api.StatusCreated, api.StatusPaused, api.StatusRunning, api.StatusStopped},
	"put_archive":    {api.StatusCreated, api.StatusPaused, api.StatusRunning, api.StatusStopped},
	"update":         {api.StatusCreated, api.StatusRunning, api.StatusStopped, api.StatusPaused},
	"delete":         {api.StatusCreated, api.StatusError, api.StatusStopped, api.StatusDeleted, api.StatusDead},
	"delete_force":   {api.StatusCreated, api.StatusCreating, api.StatusError, api.StatusRunning, api.StatusStopped, api.StatusUnknown, api.StatusDeleted, api.StatusDead, api.StatusRestarting, api.StatusRebuilding, api.StatusDeleting, api.StatusPaused},
	"commit":         {api.StatusRunning, api.StatusStopped, api.StatusPaused},
	"network_attach": {api.StatusCreated, api.StatusRunning, api.StatusStopped},
	"network_detach": {api.StatusCreated, api.StatusRunning, api.StatusStopped},
	"delete_stop":    {api.StatusRunning, api.StatusCreated, api.StatusError, api.StatusStopped, api.StatusDeleted, api.StatusDead},
}

func invalidState(action string, c *model.Container) error {
	return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Cannot %s container %s in %s state.", action, c.UUID, c.Status))
}

// checkState refuses an action in the wrong state or while another
// operation runs.
func checkState(action string, c *model.Container) error {
	if !slices.Contains(validStates[action], c.Status) {
		return invalidState(action, c)
	}
	if c.TaskState != "" && !strings.HasPrefix(action, "delete_force") {
		return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Cannot %s container %s: %s is in progress.", action, c.UUID, c.TaskState))
	}
	return nil
}

// operation describes an asynchronous container action.
type operation struct {
	rule, action, method string
	task, status         string // set while it runs; status "" keeps it
	build                func(*rpc.ContainerRequest) error
	// stateKey overrides the validStates key (delete variants).
	stateKey string
}

// dispatch checks the state, marks the task, records the action and casts
// the operation to the container's host. If the host cannot take it, the
// marks are undone and the caller gets 503.
func (s *Server) dispatch(q *request, op operation) (int, any, error) {
	c, err := s.loadContainer(q, op.rule)
	if err != nil {
		return 0, nil, err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	if op.build != nil {
		if err := op.build(&req); err != nil {
			return 0, nil, err
		}
	}
	key := op.action
	if op.stateKey != "" {
		key = op.stateKey
	}
	prevStatus, prevTask := c.Status, c.TaskState
	c, err = s.store.Containers().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error {
		if err := checkState(key, x); err != nil {
			return err
		}
		if x.Host == "" {
			return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Cannot %s container %s: it has no host.", op.action, x.UUID))
		}
		prevStatus, prevTask = x.Status, x.TaskState
		x.TaskState = op.task
		if op.status != "" {
			x.Status = op.status
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	req.Container = *c
	s.recordAction(q, c, op.action)
	if err := s.compute.Cast(q.ctx, op.method, req); err != nil {
		_, _ = s.store.Containers().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error {
			if x.TaskState == op.task {
				x.TaskState, x.Status = prevTask, prevStatus
			}
			return nil
		})
		_ = s.store.Actions().Finish(zunctx.System(q.ctx), c.UUID, zunctx.RequestID(q.ctx), s.now().UTC(), err.Error())
		if errors.Is(err, errdefs.ErrUnavailable) {
			return 0, nil, errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Compute host %s is not available.", c.Host))
		}
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

func (s *Server) timeoutParam(q *request, r *rpc.ContainerRequest) error {
	if err := q.checkQuery("timeout", "all_projects"); err != nil {
		return err
	}
	t, _, err := q.intParam("timeout", 0, 3600)
	r.Timeout = t
	return err
}

func (s *Server) containerStart(q *request) (int, any, error) {
	return s.dispatch(q, operation{rule: "container:start", action: "start", method: rpc.MethodStart, task: api.TaskContainerStarting,
		build: func(*rpc.ContainerRequest) error { return q.checkQuery("all_projects") }})
}

func (s *Server) containerStop(q *request) (int, any, error) {
	return s.dispatch(q, operation{rule: "container:stop", action: "stop", method: rpc.MethodStop, task: api.TaskContainerStopping,
		build: func(r *rpc.ContainerRequest) error { return s.timeoutParam(q, r) }})
}

func (s *Server) containerReboot(q *request) (int, any, error) {
	return s.dispatch(q, operation{rule: "container:reboot", action: "reboot", method: rpc.MethodReboot, task: api.TaskContainerRebooting,
		status: api.StatusRestarting, build: func(r *rpc.ContainerRequest) error { return s.timeoutParam(q, r) }})
}

func (s *Server) containerPause(q *request) (int, any, error) {
	return s.dispatch(q, operation{rule: "container:pause", action: "pause", method: rpc.MethodPause, task: api.TaskContainerPausing,
		build: func(*rpc.ContainerRequest) error { return q.checkQuery("all_projects") }})
}

func (s *Server) containerUnpause(q *request) (int, any, error) {
	return s.dispatch(q, operation{rule: "container:unpause", action: "unpause", method: rpc.MethodUnpause, task: api.TaskContainerUnpausing,
		build: func(*rpc.ContainerRequest) error { return q.checkQuery("all_projects") }})
}

func (s *Server) containerKill(q *request) (int, any, error) {
	return s.dispatch(q, operation{rule: "container:kill", action: "kill", method: rpc.MethodKill, task: api.TaskContainerKilling,
		build: func(r *rpc.ContainerRequest) error {
			if err := q.checkQuery("signal", "all_projects"); err != nil {
				return err
			}
			sig, err := normalizeSignal(q.query.Get("signal"))
			r.Signal = sig
			return err
		}})
}

// normalizeSignal accepts SIGTERM, TERM, term or 15.
func normalizeSignal(s string) (string, error) {
	if s == "" {
		return "SIGKILL", nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n > 0 && n < 65 {
			return strconv.Itoa(n), nil
		}
	} else {
		name := strings.ToUpper(s)
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		if _, ok := signals[name]; ok {
			return name, nil
		}
	}
	return "", badRequest("Invalid input for field/attribute signal. Value: %s. Unknown signal.", s)
}

var signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT, "SIGILL": syscall.SIGILL,
	"SIGTRAP": syscall.SIGTRAP, "SIGABRT": syscall.SIGABRT, "SIGBUS": syscall.SIGBUS, "SIGFPE": syscall.SIGFPE,
	"SIGKILL": syscall.SIGKILL, "SIGUSR1": syscall.SIGUSR1, "SIGSEGV": syscall.SIGSEGV, "SIGUSR2": syscall.SIGUSR2,
	"SIGPIPE": syscall.SIGPIPE, "SIGALRM": syscall.SIGALRM, "SIGTERM": syscall.SIGTERM, "SIGCHLD": syscall.SIGCHLD,
	"SIGCONT": syscall.SIGCONT, "SIGSTOP": syscall.SIGSTOP, "SIGTSTP": syscall.SIGTSTP, "SIGTTIN": syscall.SIGTTIN,
	"SIGTTOU": syscall.SIGTTOU, "SIGURG": syscall.SIGURG, "SIGXCPU": syscall.SIGXCPU, "SIGXFSZ": syscall.SIGXFSZ,
	"SIGVTALRM": syscall.SIGVTALRM, "SIGPROF": syscall.SIGPROF, "SIGWINCH": syscall.SIGWINCH, "SIGIO": syscall.SIGIO,
	"SIGPWR": syscall.SIGPWR, "SIGSYS": syscall.SIGSYS,
}

func (s *Server) containerRebuild(q *request) (int, any, error) {
	return s.dispatch(q, operation{rule: "container:rebuild", action: "rebuild", method: rpc.MethodRebuild, task: api.TaskContainerRebuilding,
		status: api.StatusRebuilding, build: func(r *rpc.ContainerRequest) error {
			if err := q.checkQuery("image", "image_driver", "all_projects"); err != nil {
				return err
			}
			if img := q.query.Get("image"); img != "" {
				if len(img) < 2 || len(img) > 255 {
					return invalid("image", "Length must be between 2 and 255.")
				}
				r.Image = img
			}
			if d := q.query.Get("image_driver"); d != "" && d != "docker" && d != "glance" {
				return invalid("image_driver", "Value: %q. Expected docker or glance.", d)
			} else if d != "" {
				r.ImageDriver = d
			}
			auth, err := s.registryAuth(q.ctx, r.Container.RegistryID)
			if err != nil {
				return err
			}
			r.RegistryAuth = auth
			// Restart after rebuild if it was running.
			r.Start = r.Container.Status == api.StatusRunning || r.Container.Run
			return nil
		}})
}

func (s *Server) containerDelete(q *request) (int, any, error) {
	if err := q.checkQuery("force", "stop", "all_projects"); err != nil {
		return 0, nil, err
	}
	if err := s.authorizeAllProjects(q, "container:delete_all_projects"); err != nil {
		return 0, nil, err
	}
	force, err := q.boolParam("force")
	if err != nil {
		return 0, nil, err
	}
	stop, err := q.boolParam("stop")
	if err != nil {
		return 0, nil, err
	}
	if stop && q.version.Minor < 12 {
		return 0, nil, badRequest("Invalid input: stop needs microversion 1.12 or later.")
	}
	key := "delete"
	switch {
	case force:
		if q.version.Minor >= 7 {
			if err := s.policy.Authorize(q.ctx, "container:delete_force", targetOf(q.id.ProjectID)); err != nil {
				return 0, nil, err
			}
		}
		key = "delete_force"
	case stop:
		key = "delete_stop"
	}
	c, err := s.loadContainer(q, "container:delete")
	if err != nil {
		return 0, nil, err
	}
	if c.Host == "" {
		if err := checkState(key, c); err != nil {
			return 0, nil, err
		}
		// Never placed: nothing on any host to remove.
		s.releaseVolumes(q.ctx, c.UUID)
		if err := s.store.Containers().Delete(zunctx.System(q.ctx), c.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, nil
	}
	_, _, err = s.dispatch(q, operation{rule: "container:delete", action: "delete", method: rpc.MethodDelete,
		task: api.TaskContainerDeleting, status: api.StatusDeleting, stateKey: key,
		build: func(r *rpc.ContainerRequest) error { r.Force, r.Stop = force, stop; return nil }})
	if errors.Is(err, errdefs.ErrUnavailable) {
		// The delete stays accepted: the agent finishes it when it is back
		// (start-up reconcile), so the caller need not retry.
		_, uerr := s.store.Containers().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error {
			x.Status, x.TaskState = api.StatusDeleting, api.TaskContainerDeleting
			return nil
		})
		if uerr == nil {
			return http.StatusNoContent, nil, nil
		}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
