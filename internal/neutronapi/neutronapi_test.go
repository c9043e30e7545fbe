package neutronapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/network"
	"github.com/openzun/zun/internal/store/sqlstore"
	"github.com/openzun/zun/internal/zunctx"
)

type tokens map[string]zunctx.Identity

func (t tokens) Validate(_ context.Context, tok string) (zunctx.Identity, time.Time, error) {
	id, ok := t[tok]
	if !ok {
		return zunctx.Identity{}, time.Time{}, errors.New("bad token")
	}
	return id, time.Now().Add(time.Hour), nil
}

type env struct {
	t   *testing.T
	url string
}

func newEnv(t *testing.T) *env {
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "zun.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := network.New(st.Networks(), network.DefaultConfig(), network.Deps{})
	toks := tokens{
		"admin": {UserID: "admin", ProjectID: "padmin", Roles: []string{"admin", "member"}},
		"alice": {UserID: "alice", ProjectID: "pa", Roles: []string{"member"}},
		"bob":   {UserID: "bob", ProjectID: "pb", Roles: []string{"member"}},
	}
	srv := httptest.NewServer(New("http://zun", svc, toks, nil, nil).Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL}
}

// do sends body as tok and checks the status; out gets the JSON answer.
func (e *env) do(tok, method, path string, body any, want int, out any) map[string]any {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+"/network/v2.0"+path, rd)
	if tok != "" {
		req.Header.Set("X-Auth-Token", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, tok, resp.StatusCode, want, raw)
	}
	m := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m)
		if out != nil {
			_ = json.Unmarshal(raw, out)
		}
	}
	return m
}

func neutronType(m map[string]any) string {
	ne, _ := m["NeutronError"].(map[string]any)
	s, _ := ne["type"].(string)
	return s
}

func TestNeutronAPI(t *testing.T) {
	e := newEnv(t)
	e.do("", "GET", "/networks", nil, 401, nil)
	// Strict input.
	if m := e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"name": "n", "bogus": 1}}, 400, nil); !strings.Contains(toString(m), "Unrecognized attribute") {
		t.Fatalf("unknown attribute: %v", m)
	}
	e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"shared": true}}, 403, nil)
	e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"router:external": true}}, 403, nil)
	e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"admin_state_up": "maybe"}}, 400, nil)
	var nw struct{ Network map[string]any }
	e.do("alice", "POST", "/networks", map[string]any{"network": map[string]any{"name": "alice-net"}}, 201, &nw)
	if _, ok := nw.Network["provider:network_type"]; ok {
		t.Fatalf("a member sees provider attributes: %v", nw.Network)
	}
	netID := nw.Network["id"].(string)
	for _, bad := range []map[string]any{
		{"network_id": netID, "cidr": "10.0.0.0/33"},
		{"network_id": netID, "cidr": "10.0.0.1/24"},
		{"network_id": netID, "cidr": "10.0.0.0/24", "allocation_pools": []map[string]string{{"start": "10.1.0.2", "end": "10.1.0.9"}}},
		{"network_id": netID, "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.5", "allocation_pools": []map[string]string{{"start": "10.0.0.2", "end": "10.0.0.9"}}},
		{"network_id": netID, "cidr": "10.0.0.0/24", "ip_version": 6},
	} {
		e.do("alice", "POST", "/subnets", map[string]any{"subnet": bad}, 400, nil)
	}
	var sn struct{ Subnet map[string]any }
	e.do("alice", "POST", "/subnets", map[string]any{"subnet": map[string]any{"network_id": netID, "cidr": "10.0.0.0/29"}}, 201, &sn)
	if sn.Subnet["gateway_ip"] != "10.0.0.1" || toString(sn.Subnet["allocation_pools"]) != `[{"end":"10.0.0.6","start":"10.0.0.2"}]` {
		t.Fatalf("subnet %v", sn.Subnet)
	}
	// Bob: 404 on everything of Alice's; his list is empty.
	e.do("bob", "GET", "/networks/"+netID, nil, 404, nil)
	e.do("bob", "DELETE", "/networks/"+netID, nil, 404, nil)
	e.do("bob", "POST", "/ports", map[string]any{"port": map[string]any{"network_id": netID}}, 404, nil)
	var list struct{ Networks []map[string]any }
	e.do("bob", "GET", "/networks", nil, 200, &list)
	if len(list.Networks) != 0 {
		t.Fatalf("bob lists %v", list.Networks)
	}
	// Ports: trusted owners and bindings are not a tenant's.
	e.do("alice", "POST", "/ports", map[string]any{"port": map[string]any{"network_id": netID, "device_owner": "network:router_interface"}}, 403, nil)
	e.do("alice", "POST", "/ports", map[string]any{"port": map[string]any{"network_id": netID, "binding:host_id": "h1"}}, 403, nil)
	var p struct{ Port map[string]any }
	e.do("alice", "POST", "/ports", map[string]any{"port": map[string]any{"network_id": netID, "fixed_ips": []map[string]string{{"ip_address": "10.0.0.3"}}, "device_id": "dev-1"}}, 201, &p)
	if m := e.do("alice", "POST", "/ports", map[string]any{"port": map[string]any{"network_id": netID, "fixed_ips": []map[string]string{{"ip_address": "10.0.0.3"}}}}, 409, nil); neutronType(m) != "IpAddressInUse" {
		t.Fatalf("taken address: %v", m)
	}
	if _, ok := p.Port["binding:host_id"]; ok {
		t.Fatalf("a member sees the binding: %v", p.Port)
	}
	// Filters and fields.
	var ports struct{ Ports []map[string]any }
	e.do("alice", "GET", "/ports?fixed_ips=ip_address%3D10.0.0.3&fields=id&fields=device_id", nil, 200, &ports)
	if len(ports.Ports) != 1 || len(ports.Ports[0]) != 2 || ports.Ports[0]["device_id"] != "dev-1" {
		t.Fatalf("filtered ports %v", ports.Ports)
	}
	e.do("alice", "GET", "/ports?device_id=nothing", nil, 200, &ports)
	if len(ports.Ports) != 0 {
		t.Fatalf("device filter %v", ports.Ports)
	}
	e.do("alice", "GET", "/ports?colour=red", nil, 400, nil)
	// Exhaust the pool: 10.0.0.2, .4, .5, .6 are left.
	for range 4 {
		e.do("alice", "POST", "/ports", map[string]any{"port": map[string]any{"network_id": netID}}, 201, nil)
	}
	if m := e.do("alice", "POST", "/ports", map[string]any{"port": map[string]any{"network_id": netID}}, 409, nil); neutronType(m) != "IpAddressGenerationFailure" {
		t.Fatalf("exhausted pool: %v", m)
	}
	if m := e.do("alice", "DELETE", "/networks/"+netID, nil, 409, nil); neutronType(m) != "NetworkInUse" {
		t.Fatalf("delete of a network in use: %v", m)
	}
	// Security groups: the default group appears; rules are checked.
	var sgs struct {
		SecurityGroups []map[string]any `json:"security_groups"`
	}
	e.do("alice", "GET", "/security-groups", nil, 200, &sgs)
	if len(sgs.SecurityGroups) != 1 || sgs.SecurityGroups[0]["name"] != "default" || len(sgs.SecurityGroups[0]["security_group_rules"].([]any)) != 4 {
		t.Fatalf("groups %v", sgs.SecurityGroups)
	}
	var sg struct {
		SecurityGroup map[string]any `json:"security_group"`
	}
	e.do("alice", "POST", "/security-groups", map[string]any{"security_group": map[string]any{"name": "web"}}, 201, &sg)
	sgID := sg.SecurityGroup["id"].(string)
	rule := map[string]any{"security_group_id": sgID, "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}
	e.do("alice", "POST", "/security-group-rules", map[string]any{"security_group_rule": rule}, 201, nil)
	if m := e.do("alice", "POST", "/security-group-rules", map[string]any{"security_group_rule": rule}, 409, nil); neutronType(m) != "SecurityGroupRuleExists" {
		t.Fatalf("duplicate rule: %v", m)
	}
	e.do("alice", "POST", "/security-group-rules", map[string]any{"security_group_rule": map[string]any{"security_group_id": sgID, "direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80}}, 400, nil)
	e.do("bob", "POST", "/security-group-rules", map[string]any{"security_group_rule": map[string]any{"security_group_id": sgID, "direction": "ingress"}}, 404, nil)
	// Admin: the external network and provider attributes.
	e.do("admin", "POST", "/networks", map[string]any{"network": map[string]any{"name": "public", "router:external": true,
		"provider:network_type": "flat", "provider:physical_network": "public"}}, 201, &nw)
	if nw.Network["provider:network_type"] != "flat" {
		t.Fatalf("admin view %v", nw.Network)
	}
	e.do("bob", "GET", "/networks", nil, 200, &list)
	if len(list.Networks) != 1 || list.Networks[0]["name"] != "public" {
		t.Fatalf("bob lists %v", list.Networks)
	}
	e.do("bob", "DELETE", "/networks/"+nw.Network["id"].(string), nil, 404, nil)
	var exts struct{ Extensions []map[string]any }
	e.do("alice", "GET", "/extensions", nil, 200, &exts)
	if !strings.Contains(toString(exts.Extensions), `"alias":"router"`) {
		t.Fatalf("extensions %v", exts)
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
