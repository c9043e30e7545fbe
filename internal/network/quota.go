package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Network quotas, enforced as Neutron's counting quota driver does but
// without reservations: every write of the service runs on a quotaTx, and
// the store serializes those writes (store.Networks.Write bumps the global
// revision first), so a count taken inside the transaction that adds a
// record holds until it commits. A burst of creates never passes a limit,
// whichever path adds the records (the Neutron API, the Zun API's
// container ports, network attach).

// MaxQuotaLimit bounds a limit (Neutron's DB_INTEGER_MAX_VALUE).
const MaxQuotaLimit = math.MaxInt32

// quotaTx is a NetTx that checks the project's quota before a Put adds a
// record of a quota'd kind.
type quotaTx struct {
	store.NetTx
	ctx    context.Context
	limits map[string]model.QuotaLimits // by project, read once per transaction
}

// withQuota wraps tx of a write made with ctx.
func withQuota(ctx context.Context, tx store.NetTx) store.NetTx {
	return &quotaTx{NetTx: tx, ctx: ctx}
}

// unchecked returns tx without quota checks, for the records Neutron
// makes whatever the quota (a project's default security group and its
// rules: without them no port could be created once the group quota is
// used up). They still count towards the limits.
func unchecked(tx store.NetTx) store.NetTx {
	if q, ok := tx.(*quotaTx); ok {
		return q.NetTx
	}
	return tx
}

func (q *quotaTx) Put(kind string, r store.NetRecord, ix store.NetIndex) error {
	if err := q.check(kind, r); err != nil {
		return err
	}
	return q.NetTx.Put(kind, r, ix)
}

func isQuotaKind(kind string) bool { return slices.Contains(model.NetQuotaResources, kind) }

// serviceOwned names the network service's own ports (router interfaces
// and gateways, floating IPs: device_owner network:*), which count for
// nobody.
var serviceOwned = store.NetExcept{Attr: "device_owner", Prefix: "network:"}

func exceptOf(kind string) store.NetExcept {
	if kind == model.KindPort {
		return serviceOwned
	}
	return store.NetExcept{}
}

func (q *quotaTx) check(kind string, r store.NetRecord) error {
	if !isQuotaKind(kind) {
		return nil
	}
	if p, ok := r.(*model.Port); ok && isServicePort(p.DeviceOwner) {
		return nil
	}
	m := r.Meta()
	project := m.ProjectID
	if project == "" {
		// Put gives an unscoped caller's record no project (counted by
		// nobody), a project's caller its own.
		p, all, err := zunctx.Scope(q.ctx)
		if err != nil || all {
			return err
		}
		project = p
	}
	if m.ID == "" || project == "" {
		return nil
	}
	limit, err := q.limit(project, kind)
	if err != nil || limit < 0 {
		return err
	}
	// An update of an existing record adds nothing.
	if _, err := q.NetTx.Get(kind, m.ID); err == nil {
		return nil
	} else if !errors.Is(err, errdefs.ErrNotFound) {
		return err
	}
	// Every record counted first, from the index alone: a project below
	// its limit with them all is below it without the service's ports,
	// so only a project near its limit pays for leaving those out.
	all, err := q.NetTx.CountAll(kind, store.NetFilter{ProjectID: project}, store.NetExcept{})
	if err != nil || all+1 <= limit {
		return err
	}
	used, err := countUsed(q.NetTx.CountAll, project, kind)
	if err != nil {
		return err
	}
	if used+1 > limit {
		return overQuota(kind)
	}
	return nil
}

func overQuota(kinds ...string) error {
	quoted := make([]string, len(kinds))
	for i, k := range kinds {
		quoted[i] = "'" + k + "'"
	}
	return newErr(errdefs.ErrQuotaExceeded, "OverQuota", "Quota exceeded for resources: [%s].", strings.Join(quoted, ", "))
}

func (q *quotaTx) limit(project, kind string) (int64, error) {
	if l, ok := q.limits[project]; ok {
		return l[kind], nil
	}
	l, err := projectLimits(q.NetTx.ListAll, project)
	if err != nil {
		return 0, err
	}
	if q.limits == nil {
		q.limits = map[string]model.QuotaLimits{}
	}
	q.limits[project] = l
	return l[kind], nil
}

type listFunc func(kind string, f store.NetFilter) ([][]byte, error)

// overrides returns project's quota record (nil: none).
func overrides(list listFunc, project string) (*model.NetQuota, error) {
	raw, err := list(model.KindQuota, store.NetFilter{ProjectID: project})
	if err != nil {
		return nil, err
	}
	for _, b := range raw {
		var nq model.NetQuota
		if err := json.Unmarshal(b, &nq); err != nil {
			return nil, fmt.Errorf("failed to decode quota: %w", err)
		}
		if nq.ID == project {
			return &nq, nil
		}
	}
	return nil, nil
}

// projectLimits returns project's limits: the defaults with its
// overrides.
func projectLimits(list listFunc, project string) (model.QuotaLimits, error) {
	nq, err := overrides(list, project)
	if err != nil {
		return nil, err
	}
	l := model.DefaultNetQuotaLimits()
	if nq != nil {
		for k, v := range nq.Limits {
			if _, ok := l[k]; ok {
				l[k] = v
			}
		}
	}
	return l, nil
}

type countFunc func(kind string, f store.NetFilter, except store.NetExcept) (int64, error)

// countUsed counts project's records of kind that count towards its
// quota.
func countUsed(count countFunc, project, kind string) (int64, error) {
	return count(kind, store.NetFilter{ProjectID: project}, exceptOf(kind))
}

// Quota returns project's limits (the defaults with its overrides).
func (s *Service) Quota(ctx context.Context, project string) (model.QuotaLimits, error) {
	var out model.QuotaLimits
	err := s.st.Read(ctx, func(r store.NetReader) (err error) {
		out, err = projectLimits(r.List, project)
		return err
	})
	return out, err
}

// QuotaDefaults returns the limits of a project without overrides.
func (s *Service) QuotaDefaults() model.QuotaLimits { return model.DefaultNetQuotaLimits() }

// QuotaDetails returns, per resource, what project uses and its limit. It
// only reads: no revision moves.
func (s *Service) QuotaDetails(ctx context.Context, project string) (map[string]model.NetQuotaUsage, error) {
	out := map[string]model.NetQuotaUsage{}
	err := s.st.Read(ctx, func(r store.NetReader) error {
		l, err := projectLimits(r.List, project)
		if err != nil {
			return err
		}
		for _, kind := range model.NetQuotaResources {
			used, err := countUsed(r.Count, project, kind)
			if err != nil {
				return err
			}
			out[kind] = model.NetQuotaUsage{Used: used, Limit: l[kind]}
		}
		return nil
	})
	return out, err
}

// checkLimits refuses unknown resources and limits outside -1..MaxQuotaLimit.
func checkLimits(limits model.QuotaLimits) error {
	keys := make([]string, 0, len(limits))
	for k := range limits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !isQuotaKind(k) {
			return badRequest("Unrecognized attribute(s) '%s'", k)
		}
		if v := limits[k]; v < model.Unlimited || v > MaxQuotaLimit {
			return badRequest("Invalid input for %s. Reason: '%d' is out of range %d through %d.", k, v, model.Unlimited, MaxQuotaLimit)
		}
	}
	return nil
}

func checkProject(project string) error {
	if project == "" || len(project) > 255 {
		return badRequest("Invalid project ID %q.", project)
	}
	return nil
}

// SetQuota sets some of project's limits (the others keep their values)
// and returns all of them. A limit below what the project already uses
// is accepted, as Neutron does: only new records are refused.
func (s *Service) SetQuota(ctx context.Context, project string, limits model.QuotaLimits) (model.QuotaLimits, error) {
	if err := checkProject(project); err != nil {
		return nil, err
	}
	if err := checkLimits(limits); err != nil {
		return nil, err
	}
	var out model.QuotaLimits
	_, err := s.write(ctx, func(tx store.NetTx, _ *touched) error {
		nq, err := overrides(tx.ListAll, project)
		if err != nil {
			return err
		}
		if nq == nil {
			nq = &model.NetQuota{NetMeta: model.NetMeta{ID: project, ProjectID: project}, Limits: model.QuotaLimits{}}
		}
		for k, v := range limits {
			nq.Limits[k] = v
		}
		if err := tx.Put(model.KindQuota, nq, store.NetIndex{}); err != nil {
			return err
		}
		out, err = projectLimits(tx.ListAll, project)
		return err
	})
	return out, err
}

// ResetQuota returns project to the defaults; a project without overrides
// is TenantQuotaNotFound (404), as Neutron answers.
func (s *Service) ResetQuota(ctx context.Context, project string) error {
	if err := checkProject(project); err != nil {
		return err
	}
	_, err := s.write(ctx, func(tx store.NetTx, _ *touched) error {
		nq, err := overrides(tx.ListAll, project)
		if err != nil {
			return err
		}
		if nq == nil {
			return newErr(errdefs.ErrNotFound, "TenantQuotaNotFound", "Quota for tenant %s could not be found.", project)
		}
		return tx.Delete(model.KindQuota, nq.ID)
	})
	return err
}

// ProjectQuota is a project with overrides and its limits.
type ProjectQuota struct {
	ProjectID string
	Limits    model.QuotaLimits
}

// ProjectQuotas lists the projects the caller sees that have overrides
// (an administrator: all), with their limits.
func (s *Service) ProjectQuotas(ctx context.Context) ([]ProjectQuota, error) {
	var out []ProjectQuota
	err := s.st.Read(ctx, func(r store.NetReader) error {
		list, err := store.ListNet[model.NetQuota](r, model.KindQuota, store.NetFilter{})
		if err != nil {
			return err
		}
		for _, nq := range list {
			l := model.DefaultNetQuotaLimits()
			for k, v := range nq.Limits {
				if _, ok := l[k]; ok {
					l[k] = v
				}
			}
			out = append(out, ProjectQuota{ProjectID: nq.ID, Limits: l})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ProjectID < out[j].ProjectID })
	return out, err
}
