package neutronapi

import (
	"net/http"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/network"
)

// Neutron's quotas extension (quotasv2) and quota details: limits per
// project, set and reset by administrators, read by the project itself.

// quotaRoutes are the quota operations; get_quota is checked by the
// handlers against the project in the path, not the caller's.
func (s *Server) quotaRoutes() []route {
	const v = Prefix + "/v2.0"
	return []route{
		{Route{"GET", v + "/quotas", "get_quota:all_projects"}, s.listQuotas, false},
		// python-neutronclient asks who the caller is before quota-show
		// and quota-update without a project.
		{Route{"GET", v + "/quotas/tenant", ""}, s.quotaTenant, false},
		{Route{"GET", v + "/quotas/{project_id}", "get_quota"}, s.showQuota, true},
		{Route{"GET", v + "/quotas/{project_id}/default", "get_quota"}, s.showQuotaDefault, true},
		{Route{"GET", v + "/quotas/{project_id}/details", "get_quota"}, s.showQuotaDetails, true},
		// python-neutronclient asks for details.json.
		{Route{"GET", v + "/quotas/{project_id}/details.json", "get_quota"}, s.showQuotaDetails, true},
		{Route{"PUT", v + "/quotas/{project_id}", "update_quota"}, s.updateQuota, false},
		{Route{"DELETE", v + "/quotas/{project_id}", "delete_quota"}, s.deleteQuota, false},
	}
}

// quotaProject checks get_quota against the project in the path.
func (s *Server) quotaProject(q *request) (string, error) {
	project := q.r.PathValue("project_id")
	if err := s.authorize(q, "get_quota", project); err != nil {
		return "", err
	}
	return project, nil
}

func limitsView(l model.QuotaLimits) map[string]any {
	out := map[string]any{}
	for _, k := range model.NetQuotaResources {
		out[k] = l[k]
	}
	return out
}

func (s *Server) listQuotas(q *request) (int, any, error) {
	list, err := s.svc.ProjectQuotas(q.ctx)
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, pq := range list {
		v := limitsView(pq.Limits)
		v["project_id"], v["tenant_id"] = pq.ProjectID, pq.ProjectID
		out = append(out, v)
	}
	return http.StatusOK, one("quotas", out), nil
}

func (s *Server) quotaTenant(q *request) (int, any, error) {
	return http.StatusOK, one("tenant", map[string]string{"tenant_id": q.id.ProjectID}), nil
}

func (s *Server) showQuota(q *request) (int, any, error) {
	project, err := s.quotaProject(q)
	if err != nil {
		return 0, nil, err
	}
	l, err := s.svc.Quota(q.ctx, project)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("quota", limitsView(l)), nil
}

func (s *Server) showQuotaDefault(q *request) (int, any, error) {
	if _, err := s.quotaProject(q); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("quota", limitsView(s.svc.QuotaDefaults())), nil
}

func (s *Server) showQuotaDetails(q *request) (int, any, error) {
	project, err := s.quotaProject(q)
	if err != nil {
		return 0, nil, err
	}
	d, err := s.svc.QuotaDetails(q.ctx, project)
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{}
	for k, u := range d {
		out[k] = u
	}
	return http.StatusOK, one("quota", out), nil
}

var quotaKeys = keys(model.NetQuotaResources...)

func (s *Server) updateQuota(q *request) (int, any, error) {
	b, err := readBody(q, "quota", quotaKeys)
	if err != nil {
		return 0, nil, err
	}
	limits := model.QuotaLimits{}
	for _, k := range model.NetQuotaResources {
		if !b.has(k) {
			continue
		}
		if b.isNull(k) {
			return 0, nil, badRequest("Invalid input for %s. Reason: 'None' is not an integer.", k)
		}
		var n int
		if err := b.integer(k, &n, int(model.Unlimited), network.MaxQuotaLimit); err != nil {
			return 0, nil, err
		}
		limits[k] = int64(n)
	}
	l, err := s.svc.SetQuota(q.ctx, q.r.PathValue("project_id"), limits)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, one("quota", limitsView(l)), nil
}

func (s *Server) deleteQuota(q *request) (int, any, error) {
	if err := s.svc.ResetQuota(q.ctx, q.r.PathValue("project_id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
