package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/zunctx"
)

func (s *Server) hostView(q *request, n *model.ComputeNode, u model.Usage) api.Host {
	b := s.base(q)
	h := api.Host{UUID: n.UUID, Links: []api.Link{{Href: b + "/v1/hosts/" + n.UUID, Rel: "self"}, {Href: b + "/hosts/" + n.UUID, Rel: "bookmark"}},
		Hostname: n.Hostname, MemTotal: n.MemTotal, MemUsed: u.Memory, CPUs: n.CPUs, CPUUsed: u.CPU,
		DiskTotal: n.DiskTotal, DiskUsed: u.Disk, DiskQuotaSupported: n.DiskQuotaSupported, TotalContainers: u.Containers,
		Architecture: n.Architecture, OSType: n.OSType, OS: n.OS, KernelVersion: n.KernelVersion,
		Labels: nonNilMap(n.Labels), Runtimes: nonNil(n.Runtimes)}
	if q.version.Minor >= 29 {
		f := false
		h.EnableCPUPinning = &f
	}
	return h
}

func (s *Server) hostList(q *request) (int, any, error) {
	if err := q.checkQuery("limit", "marker", "sort_key", "sort_dir"); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "host:get_all", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	opts, err := s.listOptions(q, "hostname")
	if err != nil {
		return 0, nil, err
	}
	sys := zunctx.System(q.ctx)
	nodes, err := s.store.Hosts().List(sys, opts)
	if err != nil {
		return 0, nil, err
	}
	usage, err := s.store.Hosts().Usage(sys)
	if err != nil {
		return 0, nil, err
	}
	out := api.HostList{Hosts: make([]api.Host, 0, len(nodes))}
	for _, n := range nodes {
		out.Hosts = append(out.Hosts, s.hostView(q, n, usage[n.Hostname]))
	}
	if opts.Limit > 0 && len(nodes) == opts.Limit {
		out.Next = s.nextLink(q, "hosts", nodes[len(nodes)-1].UUID, opts.Limit)
	}
	return http.StatusOK, out, nil
}

func (s *Server) hostShow(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "host:get", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	sys := zunctx.System(q.ctx)
	n, err := s.store.Hosts().Get(sys, q.pathValue("id"))
	if errors.Is(err, errdefs.ErrNotFound) {
		return 0, nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Host %s could not be found.", q.pathValue("id")))
	}
	if err != nil {
		return 0, nil, err
	}
	usage, err := s.store.Hosts().Usage(sys)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.hostView(q, n, usage[n.Hostname]), nil
}

func (s *Server) serviceView(sv *model.Service) api.Service {
	state := "down"
	if sv.IsUp(s.now(), s.cfg.ServiceDownTime) {
		state = "up"
	}
	return api.Service{ID: sv.ID, Host: sv.Host, Binary: sv.Binary, State: state, Disabled: sv.Disabled,
		DisabledReason: strPtr(sv.DisabledReason), ForcedDown: sv.ForcedDown, LastSeenUp: api.NewTime(sv.LastSeenUp),
		ReportCount: sv.ReportCount, AvailabilityZone: orDefault(sv.AvailabilityZone, s.cfg.DefaultAZ),
		CreatedAt: api.NewTime(sv.CreatedAt), UpdatedAt: api.NewTime(sv.UpdatedAt)}
}

func (s *Server) serviceList(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "zun-service:get_all", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	list, err := s.store.Services().List(zunctx.System(q.ctx))
	if err != nil {
		return 0, nil, err
	}
	out := api.ServiceList{Services: make([]api.Service, 0, len(list))}
	for _, sv := range list {
		out.Services = append(out.Services, s.serviceView(sv))
	}
	return http.StatusOK, out, nil
}

func (s *Server) serviceParams(q *request, rule string, extra ...string) (string, string, error) {
	if err := q.checkQuery(append([]string{"host", "binary"}, extra...)...); err != nil {
		return "", "", err
	}
	if err := s.policy.Authorize(q.ctx, rule, targetOf(q.id.ProjectID)); err != nil {
		return "", "", err
	}
	host, binary := q.query.Get("host"), q.query.Get("binary")
	if host == "" || binary == "" {
		return "", "", badRequest("'host' and 'binary' are required query parameters.")
	}
	return host, binary, nil
}

func serviceNotFound(host, binary string) error {
	return errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Service %s on host %s could not be found.", binary, host))
}

func (s *Server) serviceDelete(q *request) (int, any, error) {
	host, binary, err := s.serviceParams(q, "zun-service:delete")
	if err != nil {
		return 0, nil, err
	}
	sys := zunctx.System(q.ctx)
	sv, err := s.store.Services().Get(sys, host, binary)
	if errors.Is(err, errdefs.ErrNotFound) {
		return 0, nil, serviceNotFound(host, binary)
	}
	if err != nil {
		return 0, nil, err
	}
	if sv.IsUp(s.now(), s.cfg.ServiceDownTime) {
		return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Service %s on host %s is up; stop it before deleting it.", binary, host))
	}
	if err := s.store.Services().Delete(sys, host, binary); err != nil {
		return 0, nil, err
	}
	if binary == "zun-compute" {
		if err := s.store.Hosts().Delete(sys, host); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return 0, nil, err
		}
		s.sched.Invalidate()
	}
	return http.StatusOK, nil, nil
}

func (s *Server) serviceUpdate(q *request, rule string, fn func(*model.Service) error, view func(*model.Service) map[string]any, extra ...string) (int, any, error) {
	host, binary, err := s.serviceParams(q, rule, extra...)
	if err != nil {
		return 0, nil, err
	}
	sv, err := s.store.Services().Update(zunctx.System(q.ctx), host, binary, fn)
	if errors.Is(err, errdefs.ErrNotFound) {
		return 0, nil, serviceNotFound(host, binary)
	}
	if err != nil {
		return 0, nil, err
	}
	s.sched.Invalidate()
	return http.StatusOK, map[string]any{"service": view(sv)}, nil
}

func (s *Server) serviceEnable(q *request) (int, any, error) {
	return s.serviceUpdate(q, "zun-service:enable", func(sv *model.Service) error {
		sv.Disabled, sv.DisabledReason = false, ""
		return nil
	}, func(sv *model.Service) map[string]any {
		return map[string]any{"host": sv.Host, "binary": sv.Binary, "disabled": false, "disabled_reason": nil}
	})
}

func (s *Server) serviceDisable(q *request) (int, any, error) {
	reason := q.query.Get("disabled_reason")
	if len(reason) > 255 {
		return 0, nil, invalid("disabled_reason", "At most 255 characters.")
	}
	return s.serviceUpdate(q, "zun-service:disable", func(sv *model.Service) error {
		sv.Disabled, sv.DisabledReason = true, reason
		return nil
	}, func(sv *model.Service) map[string]any {
		return map[string]any{"host": sv.Host, "binary": sv.Binary, "disabled": true, "disabled_reason": strPtr(sv.DisabledReason)}
	}, "disabled_reason")
}

func (s *Server) serviceForceDown(q *request) (int, any, error) {
	v := q.query.Get("forced_down")
	down := true
	if v != "" {
		b, err := parseBool("forced_down", v)
		if err != nil {
			return 0, nil, err
		}
		down = b
	}
	return s.serviceUpdate(q, "zun-service:force_down", func(sv *model.Service) error {
		sv.ForcedDown = down
		return nil
	}, func(sv *model.Service) map[string]any {
		return map[string]any{"host": sv.Host, "binary": sv.Binary, "forced_down": sv.ForcedDown}
	}, "forced_down")
}

func (s *Server) azList(q *request) (int, any, error) {
	if err := q.checkQuery("limit", "marker", "sort_key", "sort_dir"); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "availability_zones:get_all", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	list, err := s.store.Services().List(zunctx.System(q.ctx))
	if err != nil {
		return 0, nil, err
	}
	seen := map[string]bool{}
	var zones []string
	for _, sv := range list {
		z := orDefault(sv.AvailabilityZone, s.cfg.DefaultAZ)
		if !seen[z] {
			seen[z] = true
			zones = append(zones, z)
		}
	}
	sort.Strings(zones)
	if q.query.Get("sort_dir") == "desc" {
		sort.Sort(sort.Reverse(sort.StringSlice(zones)))
	}
	out := api.AvailabilityZoneList{AvailabilityZones: make([]api.AvailabilityZone, 0, len(zones))}
	for _, z := range zones {
		out.AvailabilityZones = append(out.AvailabilityZones, api.AvailabilityZone{AvailabilityZone: z})
	}
	return http.StatusOK, out, nil
}
