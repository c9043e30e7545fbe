package apiserver

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strconv"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/zunctx"
)

// quotaMinVersion is the microversion that added quotas and classes.
const quotaMinVersion = 26

// maxQuotaLimit bounds a limit (a 32-bit integer, as Zun's column).
const maxQuotaLimit = math.MaxInt32

// quotaKeyRe is what a project ID or class name may be.
var quotaKeyRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,254}$`)

// quotaPathValue returns the path parameter name, refusing malformed
// values as missing.
func quotaPathValue(q *request, name string) (string, error) {
	v := q.pathValue(name)
	if !quotaKeyRe.MatchString(v) {
		return "", errNotFoundPath
	}
	return v, nil
}

// parseQuotaBody validates a quota update (schemas/quotas.py: only the
// four resources, each an integer or a string of digits, minimum -1).
func parseQuotaBody(m map[string]json.RawMessage) (model.QuotaLimits, error) {
	allowed := map[string]bool{}
	for _, r := range model.QuotaResources {
		allowed[r] = true
	}
	if err := unknownFields(m, allowed); err != nil {
		return nil, err
	}
	out := model.QuotaLimits{}
	for r, raw := range m {
		v, err := decodeQuotaLimit(r, raw)
		if err != nil {
			return nil, err
		}
		out[r] = v
	}
	return out, nil
}

func decodeQuotaLimit(field string, raw json.RawMessage) (int64, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return 0, invalid(field, "Value: %s. Expected an integer.", truncate(raw))
	}
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return 0, invalid(field, "Value: %s. Expected an integer.", truncate(raw))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < model.Unlimited || n > maxQuotaLimit {
		return 0, invalid(field, "Value: %s. Expected an integer between -1 and %d.", truncate(raw), maxQuotaLimit)
	}
	return n, nil
}

func quotaView(l model.QuotaLimits) api.Quota {
	return api.Quota{Containers: l[model.QuotaContainers], CPU: l[model.QuotaCPU],
		Disk: l[model.QuotaDisk], Memory: l[model.QuotaMemory]}
}

func usageView(l model.QuotaLimits, u model.QuotaUsage) api.QuotaUsages {
	entry := func(r string) api.QuotaUsage {
		// Sums of fractional cpus show as the user wrote them (0.3, not
		// 0.30000000000000004).
		return api.QuotaUsage{Limit: l[r], InUse: math.Round(u.Of(r)*1000) / 1000}
	}
	return api.QuotaUsages{Containers: entry(model.QuotaContainers), CPU: entry(model.QuotaCPU),
		Disk: entry(model.QuotaDisk), Memory: entry(model.QuotaMemory)}
}

// quotaUpdate is PUT /v1/quotas/{project_id}.
func (s *Server) quotaUpdate(q *request) (int, any, error) {
	project, err := s.quotaProject(q, "quota:update")
	if err != nil {
		return 0, nil, err
	}
	limits, err := s.quotaBody(q)
	if err != nil {
		return 0, nil, err
	}
	ctx := zunctx.System(q.ctx)
	if err := s.store.Quotas().SetProjectLimits(ctx, project, limits); err != nil {
		return 0, nil, err
	}
	eff, err := s.store.Quotas().Limits(ctx, project)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, quotaView(eff), nil
}

// quotaGet is GET /v1/quotas/{project_id}[?usages=true].
func (s *Server) quotaGet(q *request) (int, any, error) {
	if err := q.checkQuery("usages"); err != nil {
		return 0, nil, err
	}
	usages, err := q.boolParam("usages")
	if err != nil {
		return 0, nil, err
	}
	project, err := s.quotaProject(q, "quota:get")
	if err != nil {
		return 0, nil, err
	}
	// The caller's own scope (all projects for admins): should an operator
	// open quota:get wider, the store still hides other projects.
	ctx := s.lookupCtx(q)
	limits, err := s.store.Quotas().Limits(ctx, project)
	if err != nil {
		return 0, nil, err
	}
	if !usages {
		return http.StatusOK, quotaView(limits), nil
	}
	used, err := s.store.Quotas().Usage(ctx, project)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, usageView(limits, used), nil
}

// quotaDefaults is GET /v1/quotas/{project_id}/defaults: the default
// class over the built-in defaults.
func (s *Server) quotaDefaults(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	if _, err := s.quotaProject(q, "quota:get_default"); err != nil {
		return 0, nil, err
	}
	l, err := s.store.Quotas().ClassLimits(q.ctx, model.DefaultQuotaClass)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, quotaView(l), nil
}

// quotaDelete is DELETE /v1/quotas/{project_id}: back to the defaults.
func (s *Server) quotaDelete(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	project, err := s.quotaProject(q, "quota:delete")
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.Quotas().DeleteProjectLimits(zunctx.System(q.ctx), project); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// quotaClassUpdate is PUT /v1/quota_classes/{name}.
func (s *Server) quotaClassUpdate(q *request) (int, any, error) {
	class, err := s.quotaClass(q, "quota_class:update")
	if err != nil {
		return 0, nil, err
	}
	limits, err := s.quotaBody(q)
	if err != nil {
		return 0, nil, err
	}
	ctx := zunctx.System(q.ctx)
	if err := s.store.Quotas().SetClassLimits(ctx, class, limits); err != nil {
		return 0, nil, err
	}
	l, err := s.store.Quotas().ClassLimits(ctx, class)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, quotaView(l), nil
}

// quotaClassGet is GET /v1/quota_classes/{name}.
func (s *Server) quotaClassGet(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	class, err := s.quotaClass(q, "quota_class:get")
	if err != nil {
		return 0, nil, err
	}
	l, err := s.store.Quotas().ClassLimits(q.ctx, class)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, quotaView(l), nil
}

// quotaProject checks rule against the project of the path. A member
// asking for another project is refused by the rule whether the project
// exists or not, so nothing is revealed.
func (s *Server) quotaProject(q *request, rule string) (string, error) {
	project, err := quotaPathValue(q, "project_id")
	if err != nil {
		return "", err
	}
	if err := s.policy.Authorize(q.ctx, rule, targetOf(project)); err != nil {
		return "", err
	}
	return project, nil
}

func (s *Server) quotaClass(q *request, rule string) (string, error) {
	class, err := quotaPathValue(q, "name")
	if err != nil {
		return "", err
	}
	if err := s.policy.Authorize(q.ctx, rule, targetOf(q.id.ProjectID)); err != nil {
		return "", err
	}
	return class, nil
}

// quotaBody reads and validates the body of a quota or class update.
func (s *Server) quotaBody(q *request) (model.QuotaLimits, error) {
	if err := q.checkQuery(); err != nil {
		return nil, err
	}
	body, err := q.decodeBody(s.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	return parseQuotaBody(body)
}
