package neutronapi

import (
	"strings"
	"testing"
)

// TestQuotas: a member reads its own quota and nobody else's and cannot
// change it; the admin sets, lists and resets; bad input is 400 and a
// create over quota 409 OverQuota, in Neutron's error format.
func TestQuotas(t *testing.T) {
	e := newEnv(t)
	var q struct{ Quota map[string]any }
	e.do("alice", "GET", "/quotas/pa", nil, 200, &q)
	want := map[string]float64{"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50, "security_group": 10, "security_group_rule": 100}
	if len(q.Quota) != len(want) {
		t.Fatalf("quota %v", q.Quota)
	}
	for k, v := range want {
		if q.Quota[k] != v {
			t.Fatalf("%s = %v, want %v", k, q.Quota[k], v)
		}
	}
	var ten struct{ Tenant map[string]string }
	e.do("alice", "GET", "/quotas/tenant", nil, 200, &ten)
	if ten.Tenant["tenant_id"] != "pa" {
		t.Fatalf("tenant %v", ten)
	}
	// Policy: a member reads only its own project and changes nothing.
	for _, c := range []struct{ method, path, rule string }{
		{"GET", "/quotas/pb", "get_quota"},
		{"GET", "/quotas/pb/default", "get_quota"},
		{"GET", "/quotas/pb/details", "get_quota"},
		{"GET", "/quotas", "get_quota:all_projects"},
		{"PUT", "/quotas/pa", "update_quota"},
		{"DELETE", "/quotas/pa", "delete_quota"},
	} {
		var body any
		if c.method == "PUT" {
			body = map[string]any{"quota": map[string]any{"network": 1000}}
		}
		m := e.do("alice", c.method, c.path, body, 403, nil)
		if neutronType(m) != "PolicyNotAuthorized" || !strings.Contains(toString(m), "rule:"+c.rule) {
			t.Fatalf("%s %s: %v", c.method, c.path, m)
		}
	}
	// Bad input.
	for _, bad := range []any{
		map[string]any{"quota": map[string]any{"volumes": 2}},
		map[string]any{"quota": map[string]any{"network": "two"}},
		map[string]any{"quota": map[string]any{"network": 1.5}},
		map[string]any{"quota": map[string]any{"network": -2}},
		map[string]any{"quota": map[string]any{"network": nil}},
		map[string]any{"quota": map[string]any{"network": 1 << 40}},
		map[string]any{"quotas": map[string]any{"network": 2}},
		map[string]any{"quota": []int{1}},
	} {
		if m := e.do("admin", "PUT", "/quotas/pa", bad, 400, nil); neutronType(m) != "HTTPBadRequest" {
			t.Fatalf("%v: %v", bad, m)
		}
	}
	// The admin sets (strings as python-neutronclient may send them are
	// integers too); the member sees the result, the admin the list.
	e.do("admin", "PUT", "/quotas/pa", map[string]any{"quota": map[string]any{"network": 1, "port": "2"}}, 200, &q)
	if q.Quota["network"] != float64(1) || q.Quota["port"] != float64(2) || q.Quota["router"] != float64(10) {
		t.Fatalf("updated %v", q.Quota)
	}
	e.do("alice", "GET", "/quotas/pa", nil, 200, &q)
	if q.Quota["network"] != float64(1) {
		t.Fatalf("member's view %v", q.Quota)
	}
	e.do("alice", "GET", "/quotas/pa/default", nil, 200, &q)
	if q.Quota["network"] != float64(100) {
		t.Fatalf("defaults %v", q.Quota)
	}
	var list struct{ Quotas []map[string]any }
	e.do("admin", "GET", "/quotas", nil, 200, &list)
	if len(list.Quotas) != 1 || list.Quotas[0]["project_id"] != "pa" || list.Quotas[0]["tenant_id"] != "pa" || list.Quotas[0]["network"] != float64(1) {
		t.Fatalf("list %v", list.Quotas)
	}
	// Over quota: 409 OverQuota.
	var nw struct{ Network map[string]any }
	e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"name": "n1"}}, 201, &nw)
	m := e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"name": "n2"}}, 409, nil)
	if neutronType(m) != "OverQuota" || !strings.Contains(toString(m), "Quota exceeded for resources: ['network'].") {
		t.Fatalf("over quota: %v", m)
	}
	// Details, as python-neutronclient (details.json) and openstacksdk ask.
	var d struct{ Quota map[string]map[string]float64 }
	for _, path := range []string{"/quotas/pa/details", "/quotas/pa/details.json"} {
		e.do("alice", "GET", path, nil, 200, &d)
		if n := d.Quota["network"]; n["used"] != 1 || n["limit"] != 1 || n["reserved"] != 0 || len(d.Quota) != len(want) {
			t.Fatalf("%s: %v", path, d.Quota)
		}
	}
	e.do("admin", "GET", "/quotas/pb/details", nil, 200, &d)
	if d.Quota["network"]["used"] != 0 || d.Quota["network"]["limit"] != 100 {
		t.Fatalf("admin's view of pb %v", d.Quota)
	}
	// Reset: the defaults again; a project without overrides is 404.
	e.do("admin", "DELETE", "/quotas/pa", nil, 204, nil)
	e.do("alice", "GET", "/quotas/pa", nil, 200, &q)
	if q.Quota["network"] != float64(100) {
		t.Fatalf("after reset %v", q.Quota)
	}
	if m := e.do("admin", "DELETE", "/quotas/pa", nil, 404, nil); neutronType(m) != "TenantQuotaNotFound" {
		t.Fatalf("second reset %v", m)
	}
	e.do("admin", "GET", "/quotas", nil, 200, &list)
	if len(list.Quotas) != 0 {
		t.Fatalf("list after reset %v", list.Quotas)
	}
	e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"name": "n2"}}, 201, nil)
	var exts struct{ Extensions []map[string]any }
	e.do("alice", "GET", "/extensions", nil, 200, &exts)
	if s := toString(exts.Extensions); !strings.Contains(s, `"alias":"quotas"`) || !strings.Contains(s, `"alias":"quota_details"`) {
		t.Fatalf("extensions %v", s)
	}
}
