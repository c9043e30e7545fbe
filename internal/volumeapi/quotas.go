package volumeapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/policy"
	"github.com/openzun/zun/internal/zunctx"
)

// quotaScope authorizes access to the quotas of the path's target project
// and returns the context to read them with. Another project's quotas
// need rule (admin); without it they are 404, as any other project's.
func (s *Server) quotaScope(q *request, rule string) (string, error) {
	target := q.r.PathValue("target")
	if target == q.project && rule == "" {
		return target, nil
	}
	if rule == "" {
		rule = "volume:quota:show_all_projects"
	}
	if err := s.policy.Authorize(q.ctx, rule, policy.Target{ProjectID: target}); err != nil {
		if target != q.project {
			return "", errdefs.New(errdefs.ErrNotFound, "The resource could not be found.")
		}
		return "", err
	}
	q.ctx = zunctx.WithAllProjects(q.ctx)
	return target, nil
}

// quotaShow serves Cinder's os-quota-sets show (with ?usage=true the
// limit, in_use and reserved of each resource).
func (s *Server) quotaShow(q *request) (int, any, error) {
	for k := range q.r.URL.Query() {
		if k != "usage" {
			return 0, nil, badRequest("Invalid filter keys: %s", k)
		}
	}
	usage := false
	if u := q.r.URL.Query().Get("usage"); u != "" {
		b, err := strconv.ParseBool(u)
		if err != nil {
			return 0, nil, badRequest("Invalid value '%s' for usage: it must be a boolean.", u)
		}
		usage = b
	}
	target, err := s.quotaScope(q, "")
	if err != nil {
		return 0, nil, err
	}
	limits, used, err := s.vols.Quota(q.ctx, target)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"quota_set": s.quotaSet(target, limits, used, usage)}, nil
}

func (s *Server) quotaDefaults(q *request) (int, any, error) {
	return http.StatusOK, map[string]any{"quota_set": s.quotaSet(q.r.PathValue("target"), model.DefaultVolumeQuotaLimits(), model.VolumeUsage{}, false)}, nil
}

func (s *Server) quotaSet(target string, l model.QuotaLimits, u model.VolumeUsage, usage bool) map[string]any {
	out := map[string]any{"id": target}
	vals := map[string][2]int64{
		model.VolumeQuotaVolumes:   {l[model.VolumeQuotaVolumes], u.Volumes},
		model.VolumeQuotaGigabytes: {l[model.VolumeQuotaGigabytes], u.Gigabytes},
		"per_volume_gigabytes":     {s.cfg.MaxSize, 0},
	}
	for k, v := range vals {
		if usage {
			out[k] = map[string]any{"limit": v[0], "in_use": v[1], "reserved": 0, "allocated": 0}
		} else {
			out[k] = v[0]
		}
	}
	return out
}

// quotaUpdate serves Cinder's os-quota-sets update (admin): volumes and
// gigabytes, integers from -1 (unlimited).
func (s *Server) quotaUpdate(q *request) (int, any, error) {
	target, err := s.quotaScope(q, "volume:quota:update")
	if err != nil {
		return 0, nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(q.r.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		return 0, nil, badRequest("Failed to read the request body.")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return 0, nil, badRequest("Malformed request body.")
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(top["quota_set"], &body); err != nil || body == nil || len(top) != 1 {
		return 0, nil, badRequest("Missing required element 'quota_set' in request body.")
	}
	l := model.QuotaLimits{}
	for k, v := range body {
		switch k {
		case model.VolumeQuotaVolumes, model.VolumeQuotaGigabytes:
		case "tenant_id", "id":
			continue // Cinder's NON_QUOTA_KEYS, which cinderclient sends
		default:
			return 0, nil, badRequest("Bad key(s) in quota set: %s", k)
		}
		n, err := decodeLimit(v)
		if err != nil {
			return 0, nil, badRequest("Invalid input for field/attribute %s. Value: %s. %v", k, v, err)
		}
		l[k] = n
	}
	if err := s.vols.SetQuota(q.ctx, target, l); err != nil {
		return 0, nil, err
	}
	limits, used, err := s.vols.Quota(q.ctx, target)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"quota_set": s.quotaSet(target, limits, used, false)}, nil
}

var errLimit = errors.New("It must be an integer from -1 (unlimited) to 2147483647.")

func decodeLimit(raw json.RawMessage) (int64, error) {
	var str string
	if json.Unmarshal(raw, &str) != nil {
		str = string(raw)
	}
	n, err := strconv.ParseInt(str, 10, 32)
	if err != nil || n < -1 {
		return 0, errLimit
	}
	return n, nil
}
