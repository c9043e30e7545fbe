package dockerplugin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/model"
)

// memState is a StateSource over a state the test changes; refreshes
// counts the fetches from "the control plane".
type memState struct {
	mu        sync.Mutex
	cur, next model.HostNetworkState
	refreshes int
}

func (s *memState) State() model.HostNetworkState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *memState) Refresh(context.Context) (model.HostNetworkState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshes++
	s.cur = s.next
	return s.cur, nil
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// post calls a plugin method over its socket as Docker does.
func post(t *testing.T, sock, method string, body any) (int, map[string]any) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	raw, _ := json.Marshal(body)
	resp, err := c.Post("http://plugin/"+method, contentType, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != contentType {
		t.Errorf("%s: content type %q", method, ct)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return resp.StatusCode, out
}

func testState(netID, cidr, gw string, ports ...model.PortSpec) model.HostNetworkState {
	return model.HostNetworkState{Host: "h1", Revision: 1,
		Networks: []model.NetworkSpec{{ID: netID, Type: model.NetworkTypeVXLAN, SegmentationID: 100, MTU: 1450,
			Subnets: []model.SubnetSpec{{ID: "s-" + netID, CIDR: cidr, IPVersion: 4, GatewayIP: gw}}}},
		Ports: ports}
}

// TestProtocol drives the plugin over its socket: activation, the IPAM
// refusals (no invented address, no foreign address), the endpoint bound
// to its port after one refresh, and the socket's mode.
func TestProtocol(t *testing.T) {
	dir := t.TempDir()
	netID := "net-" + randHex(t, 4)
	port := model.PortSpec{ID: "port-" + randHex(t, 4), NetworkID: netID, MAC: "fa:16:3e:00:00:05", IPs: []string{"10.9.0.5"}}
	st := &memState{}
	st.next = testState(netID, "10.9.0.0/24", "10.9.0.1") // the port is not bound yet
	var plane recordingPlane
	p := New(Config{Name: "t", SocketDir: dir}, st, &plane, nil, nil)
	if err := p.Listen(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sock := filepath.Join(dir, "t.sock")
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi, err)
	}

	_, act := post(t, sock, "Plugin.Activate", nil)
	if fmt.Sprint(act["Implements"]) != "[NetworkDriver IpamDriver]" {
		t.Fatalf("activate: %v", act)
	}
	_, caps := post(t, sock, "NetworkDriver.GetCapabilities", nil)
	if caps["Scope"] != "local" || caps["ConnectivityScope"] != "local" {
		t.Fatalf("capabilities: %v", caps)
	}
	code, pool := post(t, sock, "IpamDriver.RequestPool", map[string]any{"Pool": "10.9.0.0/24", "Options": map[string]string{OptNetworkID: netID}})
	if code != 200 || pool["Pool"] != "10.9.0.0/24" {
		t.Fatalf("pool: %d %v", code, pool)
	}
	poolID := pool["PoolID"].(string)
	if code, pool := post(t, sock, "IpamDriver.RequestPool", map[string]any{"Pool": "10.8.0.0/24", "Options": map[string]string{OptNetworkID: netID}}); code == 200 {
		t.Fatalf("foreign pool accepted: %v", pool)
	}
	_, gw := post(t, sock, "IpamDriver.RequestAddress", map[string]any{"PoolID": poolID, "Options": map[string]string{"RequestAddressType": gatewayRequest}})
	if gw["Address"] != "10.9.0.1/24" {
		t.Fatalf("gateway: %v", gw)
	}
	code, e := post(t, sock, "IpamDriver.RequestAddress", map[string]any{"PoolID": poolID})
	if code == 200 || !strings.Contains(fmt.Sprint(e["Err"]), "never picks") {
		t.Fatalf("address invented: %d %v", code, e)
	}
	// The port is bound now; the plugin finds it on its refresh.
	st.mu.Lock()
	st.next = testState(netID, "10.9.0.0/24", "10.9.0.1", port)
	st.mu.Unlock()
	if code, e := post(t, sock, "IpamDriver.RequestAddress", map[string]any{"PoolID": poolID, "Address": "10.9.0.6"}); code == 200 {
		t.Fatalf("address of no port handed out: %v", e)
	}
	_, a := post(t, sock, "IpamDriver.RequestAddress", map[string]any{"PoolID": poolID, "Address": "10.9.0.5"})
	if a["Address"] != "10.9.0.5/24" {
		t.Fatalf("address: %v", a)
	}

	engineNet := randHex(t, 32)
	if code, e := post(t, sock, "NetworkDriver.CreateNetwork", map[string]any{"NetworkID": engineNet}); code == 200 {
		t.Fatalf("network without zun id accepted: %v", e)
	}
	if code, e := post(t, sock, "NetworkDriver.CreateNetwork", map[string]any{"NetworkID": engineNet,
		"Options": map[string]any{genericOption: map[string]any{OptNetworkID: netID}}}); code != 200 {
		t.Fatalf("create network: %v", e)
	}
	if code, e := post(t, sock, "NetworkDriver.CreateEndpoint", map[string]any{"NetworkID": engineNet, "EndpointID": "ep1",
		"Interface": map[string]any{"Address": "10.9.0.5/24", "MacAddress": "fa:16:3e:00:00:99"}}); code == 200 {
		t.Fatalf("endpoint with another MAC accepted: %v", e)
	}
	code, ep := post(t, sock, "NetworkDriver.CreateEndpoint", map[string]any{"NetworkID": engineNet, "EndpointID": "ep1",
		"Interface": map[string]any{"Address": "10.9.0.5/24"}})
	if code != 200 || fmt.Sprint(ep["Interface"]) != "map[MacAddress:fa:16:3e:00:00:05]" {
		t.Fatalf("endpoint: %d %v", code, ep)
	}
	_, join := post(t, sock, "NetworkDriver.Join", map[string]any{"NetworkID": engineNet, "EndpointID": "ep1", "SandboxKey": "/x"})
	if fmt.Sprint(join["InterfaceName"]) != "map[DstPrefix:eth SrcName:peer-"+port.ID+"]" || join["Gateway"] != "10.9.0.1" || join["DisableGatewayService"] != true {
		t.Fatalf("join: %v", join)
	}
	post(t, sock, "NetworkDriver.Leave", map[string]any{"NetworkID": engineNet, "EndpointID": "ep1"})
	post(t, sock, "NetworkDriver.DeleteEndpoint", map[string]any{"NetworkID": engineNet, "EndpointID": "ep1"})

	// An endpoint of a container publishing host ports leaves the gateway
	// to the engine's bridge.
	if code, e := post(t, sock, "NetworkDriver.CreateEndpoint", map[string]any{"NetworkID": engineNet, "EndpointID": "ep2",
		"Interface": map[string]any{"Address": "10.9.0.5/24"},
		"Options":   map[string]any{OptNoGateway: "true"}}); code != 200 {
		t.Fatalf("endpoint with host ports: %v", e)
	}
	_, join = post(t, sock, "NetworkDriver.Join", map[string]any{"NetworkID": engineNet, "EndpointID": "ep2", "SandboxKey": "/x"})
	if _, has := join["Gateway"]; has {
		t.Fatalf("endpoint asking for no gateway got one: %v", join)
	}
	post(t, sock, "NetworkDriver.DeleteEndpoint", map[string]any{"NetworkID": engineNet, "EndpointID": "ep2"})
	if got := plane.log(); got != "ensure "+port.ID+",release "+port.ID+",ensure "+port.ID+",release "+port.ID {
		t.Fatalf("data plane calls: %s", got)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// recordingPlane records the calls of a protocol test (no kernel change).
type recordingPlane struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingPlane) EnsurePort(_ context.Context, id string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "ensure "+id)
	return "peer-" + id, nil
}

func (r *recordingPlane) ReleasePort(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "release "+id)
	return nil
}

func (r *recordingPlane) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.calls, ",")
}

func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
