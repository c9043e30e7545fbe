package network

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/store/sqlstore"
	"github.com/openzun/zun/internal/testutil/pgtest"
	"github.com/openzun/zun/internal/zunctx"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

func as(project string, roles ...string) context.Context {
	if len(roles) == 0 {
		roles = []string{"member"}
	}
	return zunctx.WithIdentity(context.Background(), zunctx.Identity{UserID: "u-" + project, ProjectID: project, Roles: roles})
}

type recorder struct {
	mu    sync.Mutex
	hosts []string
}

func (r *recorder) NetworkChanged(_ context.Context, host string, _ int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts = append(r.hosts, host)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.hosts
	r.hosts = nil
	slices.Sort(out)
	return slices.Compact(out)
}

type fixedHost string

func (h fixedHost) RouterHost(context.Context) (string, error) { return string(h), nil }

type tunnels map[string]string

func (t tunnels) TunnelIP(_ context.Context, h string) (string, error) { return t[h], nil }

func backends(t *testing.T) map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store {
			s, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "zun.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"postgres": func(t *testing.T) store.Store {
			s, err := sqlstore.Open(context.Background(), pgtest.Shared(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestIPAMConcurrent: 50 parallel port creates on a subnet of 13
// addresses: 13 distinct addresses, 37 IpAddressGenerationFailure.
func TestIPAMConcurrent(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			svc := New(open(t).Networks(), DefaultConfig(), Deps{})
			a := as("pa")
			n := &model.Network{NetMeta: model.NetMeta{Name: "small"}}
			must(t, svc.CreateNetwork(a, n))
			must(t, svc.CreateSubnet(a, &model.Subnet{NetworkID: n.ID, CIDR: "10.1.0.0/28"}))
			var (
				mu   sync.Mutex
				ips  []string
				full int
				wg   sync.WaitGroup
			)
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := &model.Port{NetworkID: n.ID}
					err := svc.CreatePort(a, p, PortOptions{})
					mu.Lock()
					defer mu.Unlock()
					var ne *Error
					switch {
					case err == nil:
						ips = append(ips, p.FixedIPs[0].IPAddress)
					case errors.As(err, &ne) && ne.Type == "IpAddressGenerationFailure" && errors.Is(err, errdefs.ErrConflict):
						full++
					default:
						t.Errorf("create: %v", err)
					}
				}()
			}
			wg.Wait()
			slices.Sort(ips)
			if len(ips) != 13 || len(slices.Compact(slices.Clone(ips))) != 13 || full != 37 {
				t.Fatalf("got %d addresses %v, %d refused", len(ips), ips, full)
			}
			if ips[0] != "10.1.0.10" && !slices.Contains(ips, "10.1.0.2") {
				t.Fatalf("addresses %v do not start at the pool's start", ips)
			}
			if slices.Contains(ips, "10.1.0.1") || slices.Contains(ips, "10.1.0.15") {
				t.Fatalf("gateway or broadcast handed out: %v", ips)
			}
		})
	}
}

func TestPortsRoutersAndHostState(t *testing.T) {
	rec := &recorder{}
	s, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "zun.db"), nil)
	must(t, err)
	defer s.Close()
	svc := New(s.Networks(), DefaultConfig(), Deps{Notifier: rec, Picker: fixedHost("h1"), Tunnels: tunnels{"h1": "192.0.2.1", "h2": "192.0.2.2"}})
	admin := zunctx.WithAllProjects(as("admin", "admin"))
	a, b := as("pa"), as("pb")

	ext := &model.Network{NetMeta: model.NetMeta{Name: "public", ProjectID: "admin"}, External: true, Type: model.NetworkTypeFlat, PhysicalNetwork: "public"}
	must(t, svc.CreateNetwork(admin, ext))
	must(t, svc.CreateSubnet(admin, &model.Subnet{NetworkID: ext.ID, CIDR: "172.24.4.0/24", GatewayIP: "172.24.4.1",
		AllocationPools: []model.IPRange{{Start: "172.24.4.10", End: "172.24.4.250"}}}))
	n := &model.Network{NetMeta: model.NetMeta{Name: "private"}, PortSecurity: true}
	must(t, svc.CreateNetwork(a, n))
	if n.SegmentationID == 0 || n.MTU != 1450 || n.ProjectID != "pa" {
		t.Fatalf("network %+v", n)
	}
	sn := &model.Subnet{NetworkID: n.ID, CIDR: "10.0.0.0/24"}
	must(t, svc.CreateSubnet(a, sn))
	// Bad input.
	for _, bad := range []*model.Subnet{
		{NetworkID: n.ID, CIDR: "10.0.0.0/25"}, // overlaps
		{NetworkID: n.ID, CIDR: "10.5.0.1/24"}, // host bits
		{NetworkID: n.ID, CIDR: "10.5.0.0/33"}, // malformed
		{NetworkID: n.ID, CIDR: "10.6.0.0/24", AllocationPools: []model.IPRange{{Start: "10.7.0.2", End: "10.7.0.9"}}},
		{NetworkID: n.ID, CIDR: "10.6.0.0/24", GatewayIP: "10.6.0.5", AllocationPools: []model.IPRange{{Start: "10.6.0.2", End: "10.6.0.9"}}},
	} {
		if err := svc.CreateSubnet(a, bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("subnet %+v: %v", bad, err)
		}
	}
	// B cannot see or use A's network.
	if _, err := svc.GetNetwork(b, n.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("B gets A's network: %v", err)
	}
	if err := svc.CreatePort(b, &model.Port{NetworkID: n.ID}, PortOptions{}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("B creates a port on A's network: %v", err)
	}
	// A fixed address, then the same again.
	p1 := &model.Port{NetworkID: n.ID, DeviceOwner: model.DeviceOwnerCompute, DeviceID: "c1", HostID: "h2"}
	must(t, svc.CreatePort(a, p1, PortOptions{FixedIPs: []model.PortIP{{IPAddress: "10.0.0.50"}}}))
	var ne *Error
	if err := svc.CreatePort(a, &model.Port{NetworkID: n.ID}, PortOptions{FixedIPs: []model.PortIP{{IPAddress: "10.0.0.50"}}}); !errors.As(err, &ne) || ne.Type != "IpAddressInUse" {
		t.Fatalf("taken address: %v", err)
	}
	if err := svc.CreatePort(a, &model.Port{NetworkID: n.ID}, PortOptions{FixedIPs: []model.PortIP{{IPAddress: "10.9.0.5"}}}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("address outside: %v", err)
	}
	if len(p1.SecurityGroups) != 1 {
		t.Fatalf("port groups %v", p1.SecurityGroups)
	}
	if got := rec.take(); !slices.Equal(got, []string{"h2"}) {
		t.Fatalf("notified %v", got)
	}
	// Router on h1 with a gateway and an interface; a floating IP.
	r := &model.Router{NetMeta: model.NetMeta{Name: "r1"}}
	must(t, svc.CreateRouter(a, r, &GatewayRequest{NetworkID: ext.ID}))
	if r.Host != "h1" || r.Gateway == nil {
		t.Fatalf("router %+v", r)
	}
	if _, err := svc.AddRouterInterface(a, r.ID, sn.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteNetwork(a, n.ID); !errors.As(err, &ne) || ne.Type != "NetworkInUse" {
		t.Fatalf("delete network in use: %v", err)
	}
	f := &model.FloatingIP{FloatingNetworkID: ext.ID}
	must(t, svc.CreateFloatingIP(a, f))
	if _, err := svc.UpdateFloatingIP(b, f.ID, FloatingIPUpdate{SetPort: true, PortID: p1.ID}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("B associates A's floating IP: %v", err)
	}
	rec.take()
	if _, err := svc.UpdateFloatingIP(a, f.ID, FloatingIPUpdate{SetPort: true, PortID: p1.ID}); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); !slices.Contains(got, "h1") || !slices.Contains(got, "h2") {
		t.Fatalf("association notified %v", got)
	}
	sys := zunctx.System(context.Background())
	h1, err := svc.HostState(sys, "h1")
	must(t, err)
	if len(h1.Routers) != 1 || h1.Routers[0].Gateway == nil || h1.Routers[0].Gateway.CIDR != "172.24.4.0/24" ||
		len(h1.Routers[0].Interfaces) != 1 || h1.Routers[0].Interfaces[0].IP != "10.0.0.1" ||
		len(h1.Routers[0].FloatingIPs) != 1 || h1.Routers[0].FloatingIPs[0].FixedIP != "10.0.0.50" {
		t.Fatalf("h1 routers %+v", h1.Routers)
	}
	if len(h1.Ports) != 0 || len(h1.Remote) != 1 || h1.Remote[0].VTEP != "192.0.2.2" || len(h1.Networks) != 2 {
		t.Fatalf("h1 state %+v", h1)
	}
	h2, err := svc.HostState(sys, "h2")
	must(t, err)
	if len(h2.Ports) != 1 || h2.Ports[0].IPs[0] != "10.0.0.50" || len(h2.SecurityGroups) != 1 ||
		len(h2.SecurityGroups[0].Rules) != 4 || !slices.Equal(h2.SecurityGroups[0].MemberIPs, []string{"10.0.0.50"}) ||
		len(h2.Remote) != 1 || h2.Remote[0].VTEP != "192.0.2.1" {
		t.Fatalf("h2 state %+v", h2)
	}
	// Deleting the port frees its address and disassociates the floating IP.
	must(t, svc.DeletePort(a, p1.ID))
	got, err := svc.GetFloatingIP(a, f.ID)
	must(t, err)
	if got.PortID != "" {
		t.Fatalf("floating IP still associated: %+v", got)
	}
	p2 := &model.Port{NetworkID: n.ID}
	must(t, svc.CreatePort(a, p2, PortOptions{FixedIPs: []model.PortIP{{IPAddress: "10.0.0.50"}}}))
}
