package apiserver

import (
	"context"
	"strconv"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/policy"
)

// fieldAccess says which admin-only fields the caller may see; computed
// once per request from the field rules, which Zun checks with
// might_not_exist (a field without a rule is visible).
type fieldAccess struct {
	host, runtime, privileged, pullPolicy bool
}

func (s *Server) fieldAccess(ctx context.Context, t policy.Target) fieldAccess {
	return fieldAccess{
		host:       s.policy.FieldAllowed(ctx, "container:get_one:host", t),
		runtime:    s.policy.FieldAllowed(ctx, "container:get_one:runtime", t),
		privileged: s.policy.FieldAllowed(ctx, "container:get_one:privileged", t),
		pullPolicy: s.policy.FieldAllowed(ctx, "container:get_one:image_pull_policy", t),
	}
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) containerView(q *request, c *model.Container, fa fieldAccess) api.Container {
	b := s.base(q)
	v := api.Container{
		UUID: c.UUID,
		Links: []api.Link{
			{Href: b + "/v1/containers/" + c.UUID, Rel: "self"},
			{Href: b + "/containers/" + c.UUID, Rel: "bookmark"},
		},
		UserID: c.UserID, ProjectID: c.ProjectID, Name: c.Name, Image: c.Image,
		Command: nonNil(c.Command), Entrypoint: nonNil(c.Entrypoint),
		Status: c.Status, StatusReason: strPtr(c.StatusReason), StatusDetail: strPtr(c.StatusDetail),
		TaskState: strPtr(c.TaskState), CPU: c.CPU, Memory: strconv.FormatInt(c.Memory, 10),
		Disk: int(c.Disk), CPUPolicy: orDefault(c.CPUPolicy, "shared"), Environment: nonNilMap(c.Environment),
		Workdir: strPtr(c.Workdir), Ports: nonNilInts(c.Ports), Hostname: strPtr(c.Hostname),
		Labels: nonNilMap(c.Labels), Addresses: addresses(c.Networks),
		Interactive: c.Interactive, TTY: c.TTY, ImageDriver: strPtr(c.ImageDriver), RegistryID: strPtr(c.RegistryID),
		SecurityGroups: nonNil(c.SecurityGroups), AutoRemove: c.AutoRemove, AutoHeal: c.AutoHeal,
		CreatedAt: api.NewTime(c.CreatedAt), UpdatedAt: api.NewTime(c.UpdatedAt),
	}
	if c.RestartPolicy != nil {
		v.RestartPolicy = &api.RestartPolicy{Name: c.RestartPolicy.Name, MaximumRetryCount: strconv.Itoa(c.RestartPolicy.MaximumRetryCount)}
	}
	if c.Healthcheck != nil {
		h := api.Healthcheck(*c.Healthcheck)
		v.Healthcheck = &h
	}
	if fa.host {
		v.Host = new(string)
		*v.Host = c.Host
	}
	if fa.runtime {
		v.Runtime = new(string)
		*v.Runtime = orDefault(c.Runtime, "runc")
	}
	if fa.privileged {
		v.Privileged = new(bool)
		*v.Privileged = c.Privileged
	}
	if fa.pullPolicy {
		v.ImagePullPolicy = strPtr(c.ImagePullPolicy)
		if v.ImagePullPolicy == nil {
			v.ImagePullPolicy = new(string)
		}
	}
	return v
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
