package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

func targetOf(project string) policy.Target { return policy.Target{ProjectID: project} }

// containerTarget is the policy target of a container: its owners.
func containerTarget(c *model.Container) policy.Target {
	return policy.Target{ProjectID: c.ProjectID, UserID: c.UserID}
}

// lookupCtx returns the context for finding a container: admins see every
// project (Zun gives admin contexts all_projects for lookups).
func (s *Server) lookupCtx(q *request) context.Context {
	if q.id.IsAdmin() {
		return zunctx.WithAllProjects(q.ctx)
	}
	return q.ctx
}

// authorizeAllProjects checks rule when the request asks for all
// projects, as Zun does before any lookup (so the answer says nothing
// about the container). Admins' lookups span every project anyway.
func (s *Server) authorizeAllProjects(q *request, rule string) error {
	all, err := q.boolParam("all_projects")
	if err != nil || !all {
		return err
	}
	return s.policy.Authorize(q.ctx, rule, targetOf(q.id.ProjectID))
}

// allProjectsCtx is base, or a context over every project when the request
// asks for all_projects and rule allows the caller that.
func (s *Server) allProjectsCtx(q *request, base context.Context, rule string) (context.Context, error) {
	all, err := q.boolParam("all_projects")
	if err != nil || !all {
		return base, err
	}
	if err := s.policy.Authorize(q.ctx, rule, targetOf(q.id.ProjectID)); err != nil {
		return nil, err
	}
	return zunctx.WithAllProjects(q.ctx), nil
}

func notFound(id string) error {
	return errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Container %s could not be found.", id))
}

// loadContainer finds the container of the path, scoped to the caller, and
// checks rule against its project. Other projects' containers are 404.
func (s *Server) loadContainer(q *request, rule string) (*model.Container, error) {
	id := q.pathValue("id")
	c, err := s.store.Containers().Get(s.lookupCtx(q), id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, notFound(id)
	}
	if errors.Is(err, errdefs.ErrConflict) {
		return nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Multiple containers exist with the same name %s. Please use the container uuid instead.", id))
	}
	if err != nil {
		return nil, err
	}
	if err := s.policy.Authorize(q.ctx, rule, containerTarget(c)); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Server) containerCreate(q *request) (int, any, error) {
	if err := q.checkQuery("run"); err != nil {
		return 0, nil, err
	}
	run, err := q.boolParam("run")
	if err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "container:create", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	body, err := q.decodeBody(s.cfg.MaxBodyBytes)
	if err != nil {
		return 0, nil, err
	}
	nf, err := s.takeNetFields(body, q.version.Minor)
	if err != nil {
		return 0, nil, err
	}
	c, err := parseCreate(body, q.version.Minor)
	if err != nil {
		return 0, nil, err
	}
	key, hash, err := idempotencyKey(q, body)
	if err != nil {
		return 0, nil, err
	}
	if key != "" {
		if prev, err := s.existingCreate(q, key); err != nil || prev != nil {
			if err != nil {
				return 0, nil, err
			}
			return s.replayCreate(q, prev, hash)
		}
		c.IdempotencyKey, c.RequestHash = key, hash
	}
	// The sub-rules of the fields sent, in a fixed order so the error
	// names the same rule every time.
	own := policy.Target{ProjectID: q.id.ProjectID, UserID: q.id.UserID}
	for _, f := range []struct {
		rule string
		set  bool
	}{
		{"container:create:privileged", c.Privileged},
		{"container:create:runtime", c.Runtime != ""},
		{"container:create:requested_destination", c.RequestedHost != ""},
		{"container:create:image_pull_policy", c.ImagePullPolicy != ""},
	} {
		if f.set {
			if err := s.policy.Authorize(q.ctx, f.rule, own); err != nil {
				return 0, nil, err
			}
		}
	}
	if c.RegistryID != "" {
		if c.RegistryID, err = s.resolveRegistry(q, c.RegistryID); err != nil {
			return 0, nil, err
		}
	}
	if c.ImageDriver == "glance" && s.images == nil {
		return 0, nil, badRequest("Invalid input for field/attribute image_driver. The glance image driver needs the image service, which this deployment does not run.")
	}
	c.UUID = uuid.NewString()
	c.ProjectID, c.UserID = q.id.ProjectID, q.id.UserID
	c.Run = run
	c.Status, c.TaskState = api.StatusCreating, api.TaskContainerCreating
	generated := c.Name == ""
	if generated {
		c.Name = generatedName(0, c.UUID)
	}
	if err := s.checkDiskQuota(q.ctx, c); err != nil {
		return 0, nil, err
	}
	placement, err := s.reserveVolumes(q, c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.allocatePorts(q, c, nf); err != nil {
		s.releaseVolumes(q.ctx, c.UUID)
		return 0, nil, err
	}
	// The quota check and the insert are one transaction under the
	// project's quota lock: a burst of creates never passes the limit.
	err = s.store.Containers().CreateInQuota(q.ctx, c)
	// Names are unique in a project and Zun's generator has 576: a name we
	// chose that is taken is chosen again, never the user's 409.
	for try := 1; generated && errors.Is(err, errdefs.ErrAlreadyExists) && try < generatedNameTries; try++ {
		if key != "" {
			if prev, perr := s.existingCreate(q, key); perr == nil && prev != nil {
				break // the same key's request won: replayed below
			}
		}
		c.Name = generatedName(try, c.UUID)
		err = s.store.Containers().CreateInQuota(q.ctx, c)
	}
	if err != nil {
		s.releaseVolumes(q.ctx, c.UUID)
		if errors.Is(err, errdefs.ErrAlreadyExists) && key != "" {
			// A concurrent request with the same key won the insert.
			if prev, perr := s.existingCreate(q, key); perr == nil && prev != nil {
				return s.replayCreate(q, prev, hash)
			}
		}
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("A container with name %s already exists.", c.Name))
		}
		return 0, nil, err
	}
	s.recordAction(q, c, "create")
	c = s.place(q, c, placement)
	q.w.Header().Set("Location", s.base(q)+"/v1/containers/"+c.UUID)
	return http.StatusAccepted, s.containerView(q, c, s.fieldAccess(q.ctx, containerTarget(c))), nil
}

// place schedules c, claims its resources and hands it to its host. A
// failure leaves the container in Error with the reason, as Zun does; the
// request itself still succeeds (202).
func (s *Server) place(q *request, c *model.Container, vp volumePlacement) *model.Container {
	ctx := zunctx.System(q.ctx)
	req := &scheduler.Request{ContainerUUID: c.UUID, CPU: c.CPU, Memory: c.Memory, Disk: c.Disk,
		AvailabilityZone: c.AvailabilityZone, Runtime: c.Runtime, RequestedHost: c.RequestedHost, Hints: c.Hints,
		VolumeHost: vp.host, VolumeDisk: vp.newGiB}
	host, err := s.sched.Schedule(ctx, req)
	if err != nil {
		return s.failCreate(q, c, err)
	}
	c.Host = host
	if err := s.bindPorts(q.ctx, c); err != nil {
		_ = s.store.Hosts().Release(ctx, c.UUID)
		return s.failCreate(q, c, err)
	}
	creq := rpc.Request(c, zunctx.RequestID(q.ctx))
	if creq.RegistryAuth, err = s.registryAuth(q.ctx, c.RegistryID); err != nil {
		_ = s.store.Hosts().Release(ctx, c.UUID)
		return s.failCreate(q, c, err)
	}
	if err := s.compute.Cast(q.ctx, rpc.MethodCreate, creq); err != nil {
		s.log.Warn("failed to hand container to its host", "uuid", c.UUID, "host", host, "err", err)
		_ = s.store.Hosts().Release(ctx, c.UUID)
		return s.failCreate(q, c, errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Compute host %s is not available.", host)))
	}
	return c
}

func (s *Server) failCreate(q *request, c *model.Container, cause error) *model.Container {
	// The scheduler's no-host error reads exactly as Zun's reason.
	reason := cause.Error()
	s.releaseVolumes(q.ctx, c.UUID)
	upd, err := s.store.Containers().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error {
		x.Status, x.StatusReason, x.TaskState, x.Host = api.StatusError, reason, "", ""
		return nil
	})
	if err != nil {
		s.log.Error("failed to record create failure", "uuid", c.UUID, "err", err)
		c.Status, c.StatusReason, c.TaskState = api.StatusError, reason, ""
		return c
	}
	_ = s.store.Actions().Finish(zunctx.System(q.ctx), c.UUID, zunctx.RequestID(q.ctx), s.now().UTC(), reason)
	return upd
}

func (s *Server) recordAction(q *request, c *model.Container, action string) {
	a := &model.Action{ContainerUUID: c.UUID, Action: action, RequestID: zunctx.RequestID(q.ctx),
		UserID: q.id.UserID, ProjectID: q.id.ProjectID, StartTime: s.now().UTC()}
	if err := s.store.Actions().Start(zunctx.System(q.ctx), a); err != nil {
		s.log.Warn("failed to record action", "uuid", c.UUID, "action", action, "err", err)
	}
}

var listFilters = []string{"name", "image", "project_id", "user_id", "memory", "host", "task_state", "status", "auto_remove"}

func (s *Server) containerList(q *request) (int, any, error) {
	if err := q.checkQuery(append([]string{"all_projects", "limit", "marker", "sort_key", "sort_dir"}, listFilters...)...); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "container:get_all", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	ctx, err := s.allProjectsCtx(q, q.ctx, "container:get_all_all_projects")
	if err != nil {
		return 0, nil, err
	}
	f := store.ContainerFilter{Name: q.query.Get("name"), Image: q.query.Get("image"), ProjectID: q.query.Get("project_id"),
		UserID: q.query.Get("user_id"), Host: q.query.Get("host"), TaskState: q.query.Get("task_state"), Status: q.query.Get("status")}
	// List filters reuse the field rules, as Zun does: only those who may
	// see a container's host may filter on it.
	if f.Host != "" && !s.policy.FieldAllowed(q.ctx, "container:get_one:host", targetOf(q.id.ProjectID)) {
		return 0, nil, errdefs.New(errdefs.ErrForbidden, "Policy doesn't allow filtering by host.")
	}
	if v := q.query.Get("memory"); v != "" {
		mem, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, nil, badRequest("Invalid input for field/attribute memory. Value: %s.", v)
		}
		f.Memory = &mem
	}
	if q.query.Get("auto_remove") != "" {
		b, err := q.boolParam("auto_remove")
		if err != nil {
			return 0, nil, err
		}
		f.AutoRemove = &b
	}
	opts, err := s.listOptions(q, "id")
	if err != nil {
		return 0, nil, err
	}
	list, err := s.store.Containers().List(ctx, f, opts)
	if err != nil {
		return 0, nil, err
	}
	out := api.ContainerList{Containers: make([]api.Container, 0, len(list))}
	for _, c := range list {
		out.Containers = append(out.Containers, s.containerView(q, c, s.fieldAccess(q.ctx, containerTarget(c))))
	}
	if opts.Limit > 0 && len(list) == opts.Limit {
		out.Next = s.nextLink(q, "containers", list[len(list)-1].UUID, opts.Limit)
	}
	return http.StatusOK, out, nil
}

func (s *Server) listOptions(q *request, defaultSort string) (store.ListOptions, error) {
	opts := store.ListOptions{Marker: q.query.Get("marker"), SortKey: q.query.Get("sort_key"), SortDir: q.query.Get("sort_dir")}
	limit, ok, err := q.intParam("limit", 1, 1<<30)
	if err != nil {
		return opts, err
	}
	if !ok || limit > s.cfg.MaxLimit {
		limit = s.cfg.MaxLimit
	}
	opts.Limit = limit
	if opts.SortKey == "" {
		opts.SortKey = defaultSort
	}
	if opts.SortDir != "" && opts.SortDir != "asc" && opts.SortDir != "desc" {
		return opts, badRequest("Invalid sort direction: %s. Acceptable values are 'asc' or 'desc'", opts.SortDir)
	}
	return opts, nil
}

func (s *Server) nextLink(q *request, res, marker string, limit int) string {
	v := url.Values{}
	for k, vs := range q.query {
		if k != "marker" && k != "limit" {
			v[k] = vs
		}
	}
	v.Set("limit", strconv.Itoa(limit))
	v.Set("marker", marker)
	return s.base(q) + "/v1/" + res + "?" + v.Encode()
}

func (s *Server) containerShow(q *request) (int, any, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return 0, nil, err
	}
	if err := s.authorizeAllProjects(q, "container:get_one_all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadContainer(q, "container:get_one")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.containerView(q, c, s.fieldAccess(q.ctx, containerTarget(c))), nil
}
