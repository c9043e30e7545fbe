package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/google/uuid"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/scheduler"
	"github.com/openzun/zun/internal/zunctx"
)

// volumeNameRe is a volume name of a template (a DNS label, as in
// Kubernetes).
var volumeNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// capsuleCompute reaches the agent of a capsule's host.
type capsuleCompute interface {
	CastCapsule(ctx context.Context, method string, req rpc.CapsuleRequest) error
	CallCapsule(ctx context.Context, method string, req rpc.CapsuleRequest) error
}

func (s *Server) capsuleAgents() (capsuleCompute, error) {
	cc, ok := s.compute.(capsuleCompute)
	if !ok {
		return nil, errdefs.New(errdefs.ErrUnavailable, "Capsules need a compute client that supports them.")
	}
	return cc, nil
}

func capsuleNotFound(id string) error {
	return errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Capsule %s could not be found.", id))
}

func (s *Server) capsuleCreate(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "capsule:create", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	cc, err := s.capsuleAgents()
	if err != nil {
		return 0, nil, err
	}
	body, err := q.decodeBody(s.cfg.MaxBodyBytes)
	if err != nil {
		return 0, nil, err
	}
	t, err := parseTemplateBody(body, q.version.Minor)
	if err != nil {
		return 0, nil, err
	}
	c := t.capsule
	// Zun drops imagePullPolicy unless the caller may set it.
	keepPull := !t.pullPolicySet || s.policy.Allowed(q.ctx, "container:create:image_pull_policy", targetOf(q.id.ProjectID))
	c.UUID = uuid.NewString()
	c.ProjectID, c.UserID = q.id.ProjectID, q.id.UserID
	c.Status, c.TaskState = api.StatusCreating, api.TaskContainerCreating
	prefix := c.Name
	if prefix == "" {
		prefix = c.UUID
	}
	for i, m := range c.Members() {
		m.UUID = uuid.NewString()
		m.ProjectID, m.UserID = c.ProjectID, c.UserID
		m.Status, m.TaskState = api.StatusCreating, ""
		m.AvailabilityZone = c.AvailabilityZone
		if m.Name == "" {
			m.Name = "capsule-" + prefix + "-" + greek[i%len(greek)]
		}
		if !keepPull {
			m.ImagePullPolicy = ""
		}
		policy := "no"
		if m.Role == model.RoleApp {
			policy = model.CapsuleRestartPolicies[c.RestartPolicy]
		}
		m.RestartPolicy = &model.RestartPolicy{Name: policy}
		m.Run = true
	}
	volumeHost, err := s.reserveCapsuleVolumes(q, c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.allocateSandboxPorts(q, c); err != nil {
		s.releaseCapsuleVolumes(q.ctx, c)
		return 0, nil, err
	}
	if err := s.store.Capsules().Create(q.ctx, c); err != nil {
		s.releaseCapsuleVolumes(q.ctx, c)
		s.releasePorts(q.ctx, c.UUID)
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("A capsule with name %s already exists.", c.Name))
		}
		return 0, nil, err
	}
	c = s.placeCapsule(q, cc, c, volumeHost)
	q.w.Header().Set("Location", s.base(q)+"/v1/capsules/"+c.UUID)
	return http.StatusAccepted, s.capsuleView(q, c), nil
}

// placeCapsule claims the capsule's resources once, on one host, and hands
// it to that host's agent; a failure leaves it in Error (202 still).
func (s *Server) placeCapsule(q *request, cc capsuleCompute, c *model.Capsule, volumeHost string) *model.Capsule {
	ctx := zunctx.System(q.ctx)
	host, err := s.sched.Schedule(ctx, &scheduler.Request{ContainerUUID: c.UUID, CPU: c.CPU, Memory: c.Memory,
		AvailabilityZone: c.AvailabilityZone, VolumeHost: volumeHost})
	if err != nil {
		return s.failCapsule(q, c, err.Error())
	}
	c.Host = host
	if s.nets != nil && len(c.Networks) > 0 {
		if err := s.nets.BindDevice(q.ctx, c.UUID, host); err != nil {
			_ = s.store.Hosts().Release(ctx, c.UUID)
			return s.failCapsule(q, c, err.Error())
		}
	}
	if err := cc.CastCapsule(q.ctx, rpc.MethodCapsuleCreate, rpc.CapsuleRequest{Capsule: *c, RequestID: zunctx.RequestID(q.ctx)}); err != nil {
		s.log.Warn("failed to hand capsule to its host", "uuid", c.UUID, "host", host, "err", err)
		_ = s.store.Hosts().Release(ctx, c.UUID)
		return s.failCapsule(q, c, fmt.Sprintf("Compute host %s is not available.", host))
	}
	return c
}

// failCapsule records that c could not be placed; its volumes are given
// back at once (nothing on a host holds them).
func (s *Server) failCapsule(q *request, c *model.Capsule, reason string) *model.Capsule {
	s.releaseCapsuleVolumes(q.ctx, c)
	upd, err := s.store.Capsules().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Capsule) error {
		x.Status, x.StatusReason, x.TaskState, x.Host = api.StatusError, reason, "", ""
		for _, m := range x.Members() {
			m.Status = api.StatusError
		}
		return nil
	})
	if err != nil {
		s.log.Error("failed to record capsule create failure", "uuid", c.UUID, "err", err)
		c.Status, c.StatusReason, c.TaskState = api.StatusError, reason, ""
		return c
	}
	return upd
}

func (s *Server) capsuleList(q *request) (int, any, error) {
	if err := q.checkQuery("all_projects", "limit", "marker", "sort_key", "sort_dir"); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "capsule:get_all", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	ctx, err := s.allProjectsCtx(q, q.ctx, "capsule:get_all_all_projects")
	if err != nil {
		return 0, nil, err
	}
	opts, err := s.listOptions(q, "id")
	if err != nil {
		return 0, nil, err
	}
	list, err := s.store.Capsules().List(ctx, opts)
	if err != nil {
		return 0, nil, err
	}
	next := ""
	if opts.Limit > 0 && len(list) == opts.Limit {
		next = s.nextLink(q, "capsules", list[len(list)-1].UUID, opts.Limit)
	}
	if q.version.Minor < 32 {
		out := api.LegacyCapsuleList{Capsules: make([]api.LegacyCapsule, 0, len(list)), Next: next}
		for _, c := range list {
			out.Capsules = append(out.Capsules, s.legacyCapsuleView(q, c))
		}
		return http.StatusOK, out, nil
	}
	out := api.CapsuleList{Capsules: make([]api.Capsule, 0, len(list)), Next: next}
	for _, c := range list {
		out.Capsules = append(out.Capsules, s.newCapsuleView(q, c))
	}
	return http.StatusOK, out, nil
}

// loadCapsule finds the capsule of the path for rule. all_projects asks
// for allRule too; admins' lookups see every project, as Zun's do.
func (s *Server) loadCapsule(q *request, rule, allRule string) (*model.Capsule, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return nil, err
	}
	ctx, err := s.allProjectsCtx(q, s.lookupCtx(q), allRule)
	if err != nil {
		return nil, err
	}
	id := q.pathValue("id")
	c, err := s.store.Capsules().Get(ctx, id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, capsuleNotFound(id)
	}
	if errors.Is(err, errdefs.ErrConflict) {
		return nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Multiple capsules exist with the same name %s. Please use the capsule uuid instead.", id))
	}
	if err != nil {
		return nil, err
	}
	if err := s.policy.Authorize(q.ctx, rule, targetOf(c.ProjectID)); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Server) capsuleShow(q *request) (int, any, error) {
	c, err := s.loadCapsule(q, "capsule:get", "capsule:get_one_all_projects")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.capsuleView(q, c), nil
}

func (s *Server) capsuleDelete(q *request) (int, any, error) {
	c, err := s.loadCapsule(q, "capsule:delete", "capsule:delete_all_projects")
	if err != nil {
		return 0, nil, err
	}
	cc, err := s.capsuleAgents()
	if err != nil {
		return 0, nil, err
	}
	ctx := zunctx.System(q.ctx)
	if c.Host == "" {
		// Never placed: nothing runs anywhere.
		s.releaseCapsuleVolumes(q.ctx, c)
		s.releasePorts(q.ctx, c.UUID)
		if err := s.store.Capsules().Delete(ctx, c.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, nil
	}
	c, err = s.store.Capsules().Update(ctx, c.UUID, func(x *model.Capsule) error {
		x.Status, x.TaskState = api.StatusDeleting, api.TaskContainerDeleting
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	req := rpc.CapsuleRequest{Capsule: *c, RequestID: zunctx.RequestID(q.ctx)}
	if q.version.Minor >= 32 {
		// Async from 1.32. An agent that is down finishes the delete in
		// its start-up reconcile.
		if err := cc.CastCapsule(q.ctx, rpc.MethodCapsuleDelete, req); err != nil {
			s.log.Warn("capsule delete left to the agent's reconcile", "uuid", c.UUID, "host", c.Host, "err", err)
		}
		return http.StatusNoContent, nil, nil
	}
	callCtx, cancel := context.WithTimeout(q.ctx, s.cfg.CallTimeout)
	defer cancel()
	if err := cc.CallCapsule(callCtx, rpc.MethodCapsuleDelete, req); err != nil {
		return 0, nil, errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Capsule %s could not be deleted now (%v); the delete goes on.", c.UUID, err))
	}
	if _, err := s.store.Capsules().Get(ctx, c.UUID); err == nil {
		return 0, nil, errdefs.New(errdefs.ErrInternal, fmt.Sprintf("Capsule %s could not be deleted.", c.UUID))
	}
	return http.StatusNoContent, nil, nil
}

// capsuleView renders c in the format of the negotiated microversion.
func (s *Server) capsuleView(q *request, c *model.Capsule) any {
	if q.version.Minor < 32 {
		return s.legacyCapsuleView(q, c)
	}
	return s.newCapsuleView(q, c)
}

func (s *Server) newCapsuleView(q *request, c *model.Capsule) api.Capsule {
	b := s.base(q)
	fa := s.fieldAccess(q.ctx, policy.Target{ProjectID: c.ProjectID, UserID: c.UserID})
	v := api.Capsule{
		UUID: c.UUID,
		Links: []api.Link{
			{Href: b + "/v1/capsules/" + c.UUID, Rel: "self"},
			{Href: b + "/capsules/" + c.UUID, Rel: "bookmark"},
		},
		UserID: c.UserID, ProjectID: c.ProjectID,
		CreatedAt: api.NewTime(c.CreatedAt), UpdatedAt: api.NewTime(c.UpdatedAt),
		Addresses: addresses(c.Networks), Status: c.Status, StatusReason: strPtr(c.StatusReason),
		RestartPolicy: &api.RestartPolicy{Name: model.CapsuleRestartPolicies[c.RestartPolicy], MaximumRetryCount: "0"},
		Name:          c.Name, Labels: nonNilMap(c.Labels), Annotations: nonNilMap(c.Annotations),
		Memory: strconv.FormatInt(c.Memory, 10), CPU: c.CPU,
		InitContainers: make([]api.Container, 0, len(c.InitContainers)),
		Containers:     make([]api.Container, 0, len(c.Containers)),
	}
	for i := range c.InitContainers {
		v.InitContainers = append(v.InitContainers, s.memberView(q, c, &c.InitContainers[i], fa))
	}
	for i := range c.Containers {
		v.Containers = append(v.Containers, s.memberView(q, c, &c.Containers[i], fa))
	}
	if s.policy.Allowed(q.ctx, "capsule:get:host", targetOf(c.ProjectID)) {
		v.Host = new(string)
		*v.Host = c.Host
	}
	return v
}

func (s *Server) memberView(q *request, c *model.Capsule, m *model.Member, fa fieldAccess) api.Container {
	ct := m.Container
	ct.Host = c.Host
	ct.Ports = nil
	for _, p := range m.CapsulePorts {
		ct.Ports = append(ct.Ports, p.ContainerPort)
	}
	return s.containerView(q, &ct, fa)
}

func (s *Server) legacyCapsuleView(q *request, c *model.Capsule) api.LegacyCapsule {
	n := s.newCapsuleView(q, c)
	return api.LegacyCapsule{
		UUID: n.UUID, Links: n.Links, UserID: n.UserID, ProjectID: n.ProjectID, CreatedAt: n.CreatedAt,
		UpdatedAt: n.UpdatedAt, Addresses: n.Addresses, Status: n.Status, StatusReason: n.StatusReason,
		RestartPolicy: n.RestartPolicy.Name, MetaName: n.Name, MetaLabels: n.Labels, Annotations: n.Annotations,
		Memory: n.Memory, CPU: n.CPU, InitContainers: n.InitContainers, Containers: n.Containers, Host: n.Host,
		VolumesInfo: map[string]any{}, ContainersUUIDs: []string{}, InitContainersUUIDs: []string{},
	}
}
