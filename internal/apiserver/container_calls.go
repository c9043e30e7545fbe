package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/zunctx"
)

// call runs a synchronous operation on the container's host.
func (s *Server) call(q *request, c *model.Container, method string, req rpc.ContainerRequest, resp any) error {
	if c.Host == "" {
		return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Container %s has no host.", c.UUID))
	}
	ctx, cancel := context.WithTimeout(q.ctx, s.cfg.CallTimeout)
	defer cancel()
	err := s.compute.Call(ctx, method, req, resp)
	if errors.Is(err, errdefs.ErrUnavailable) {
		return errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Compute host %s is not available.", c.Host))
	}
	return err
}

func (s *Server) loadInState(q *request, rule, action string) (*model.Container, error) {
	c, err := s.loadContainer(q, rule)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(action, c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkStatus checks only the status (reads may run during a task).
func checkStatus(action string, c *model.Container) error {
	for _, st := range validStates[action] {
		if st == c.Status {
			return nil
		}
	}
	return invalidState(action, c)
}

func (s *Server) containerLogs(q *request) (int, any, error) {
	if err := q.checkQuery("stdout", "stderr", "timestamps", "tail", "since", "all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:logs", "logs")
	if err != nil {
		return 0, nil, err
	}
	o := container.LogOptions{Tail: "all"}
	if o.Stdout, err = q.boolParamDefault("stdout", false); err != nil {
		return 0, nil, err
	}
	if o.Stderr, err = q.boolParamDefault("stderr", false); err != nil {
		return 0, nil, err
	}
	if !o.Stdout && !o.Stderr {
		o.Stdout, o.Stderr = true, true
	}
	if o.Timestamps, err = q.boolParam("timestamps"); err != nil {
		return 0, nil, err
	}
	if t := q.query.Get("tail"); t != "" && t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return 0, nil, invalid("tail", "Value: %s. Expected a non-negative integer or 'all'.", t)
		}
		o.Tail = t
	}
	if since := q.query.Get("since"); since != "" {
		if o.Since, err = parseSince(since); err != nil {
			return 0, nil, err
		}
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.Logs = &o
	var reply rpc.LogsReply
	if err := s.call(q, c, rpc.MethodLogs, req, &reply); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, reply.Logs, nil
}

func (q *request) boolParamDefault(name string, def bool) (bool, error) {
	if q.query.Get(name) == "" {
		return def, nil
	}
	return q.boolParam(name)
}

// parseSince accepts epoch seconds or "YYYY-MM-DD HH:MM:SS,fff" as Zun.
func parseSince(v string) (string, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return strconv.FormatInt(n, 10), nil
	}
	for _, l := range []string{"2006-01-02 15:04:05,000", "2006-01-02 15:04:05", time.RFC3339} {
		if t, err := time.Parse(l, v); err == nil {
			return strconv.FormatInt(t.Unix(), 10), nil
		}
	}
	return "", invalid("since", "Value: %s. Expected epoch seconds or YYYY-MM-DD HH:MM:SS,fff.", v)
}

func (s *Server) containerTop(q *request) (int, any, error) {
	if err := q.checkQuery("ps_args", "all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:top", "top")
	if err != nil {
		return 0, nil, err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.PsArgs = q.query.Get("ps_args")
	if len(req.PsArgs) > 256 || strings.ContainsAny(req.PsArgs, ";|&$`\n") {
		return 0, nil, invalid("ps_args", "Value is not valid ps arguments.")
	}
	var reply rpc.TopReply
	if err := s.call(q, c, rpc.MethodTop, req, &reply); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, api.TopResult{Titles: reply.Titles, Processes: reply.Processes}, nil
}

func (s *Server) containerStats(q *request) (int, any, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:stats", "stats")
	if err != nil {
		return 0, nil, err
	}
	var reply map[string]any
	if err := s.call(q, c, rpc.MethodStats, rpc.Request(c, zunctx.RequestID(q.ctx)), &reply); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, reply, nil
}

func (s *Server) containerExecute(q *request) (int, any, error) {
	if err := q.checkQuery("command", "run", "interactive", "all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:execute", "execute")
	if err != nil {
		return 0, nil, err
	}
	cmdStr := q.query.Get("command")
	if cmdStr == "" {
		return 0, nil, badRequest("'command' is a required property")
	}
	run, err := q.boolParamDefault("run", true)
	if err != nil {
		return 0, nil, err
	}
	interactive, err := q.boolParam("interactive")
	if err != nil {
		return 0, nil, err
	}
	if len(cmdStr) > 64<<10 {
		return 0, nil, invalid("command", "Value is longer than 65536 bytes.")
	}
	cmd, err := shellSplit(cmdStr)
	if err != nil || len(cmd) == 0 {
		return 0, nil, invalid("command", "Value: %q is not a valid command.", truncate([]byte(cmdStr)))
	}
	if !run {
		return s.executeSession(q, c, cmd, interactive)
	}
	s.recordAction(q, c, "exec_cmd")
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.Command = cmd
	var reply rpc.ExecReply
	err = s.call(q, c, rpc.MethodExec, req, &reply)
	_ = s.store.Actions().Finish(zunctx.System(q.ctx), c.UUID, zunctx.RequestID(q.ctx), s.now().UTC(), errText(err))
	if errors.Is(err, errdefs.ErrTimeout) {
		return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Command %q timed out.", truncate([]byte(cmdStr))))
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, api.ExecResult{Output: &reply.Output, ExitCode: &reply.ExitCode}, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
