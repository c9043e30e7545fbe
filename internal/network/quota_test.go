package network

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

func adminCtx() context.Context { return zunctx.WithAllProjects(as("admin", "admin")) }

// wantOverQuota checks err is Neutron's OverQuota for kind.
func wantOverQuota(t *testing.T, err error, kind string) {
	t.Helper()
	var ne *Error
	if !errors.As(err, &ne) || ne.Type != "OverQuota" || !errors.Is(err, errdefs.ErrQuotaExceeded) ||
		ne.Msg != "Quota exceeded for resources: ['"+kind+"']." {
		t.Fatalf("want OverQuota for %s, got %v", kind, err)
	}
}

func setQuota(t *testing.T, svc *Service, project string, l model.QuotaLimits) {
	t.Helper()
	if _, err := svc.SetQuota(adminCtx(), project, l); err != nil {
		t.Fatal(err)
	}
}

func used(t *testing.T, svc *Service, ctx context.Context, project, kind string) int64 {
	t.Helper()
	d, err := svc.QuotaDetails(ctx, project)
	must(t, err)
	return d[kind].Used
}

// TestQuotaLimits: overrides, -1, reset, bad input, every path counted,
// the service's own ports and the default group not refused.
func TestQuotaLimits(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			svc := New(open(t).Networks(), DefaultConfig(), Deps{Picker: fixedHost("h1")})
			admin, a := adminCtx(), as("pa")
			l, err := svc.Quota(a, "pa")
			must(t, err)
			if !maps.Equal(l, model.DefaultNetQuotaLimits()) || l[model.KindPort] != 500 || l[model.KindRouter] != 10 {
				t.Fatalf("defaults %v", l)
			}
			// Bad input changes nothing.
			for _, bad := range []model.QuotaLimits{{"volumes": 3}, {model.KindNetwork: -2}, {model.KindPort: MaxQuotaLimit + 1}} {
				if _, err := svc.SetQuota(admin, "pa", bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("%v: %v", bad, err)
				}
			}
			if _, err := svc.SetQuota(admin, "", model.QuotaLimits{model.KindNetwork: 1}); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("no project: %v", err)
			}
			if pq, err := svc.ProjectQuotas(admin); err != nil || len(pq) != 0 {
				t.Fatalf("overrides after bad input: %v %v", pq, err)
			}
			// A limit of 2 networks: the third is refused, updates pass.
			l, err = svc.SetQuota(admin, "pa", model.QuotaLimits{model.KindNetwork: 2})
			must(t, err)
			if l[model.KindNetwork] != 2 || l[model.KindSubnet] != 100 {
				t.Fatalf("limits %v", l)
			}
			n1 := &model.Network{NetMeta: model.NetMeta{Name: "n1"}, PortSecurity: true}
			must(t, svc.CreateNetwork(a, n1))
			must(t, svc.CreateNetwork(a, &model.Network{NetMeta: model.NetMeta{Name: "n2"}}))
			wantOverQuota(t, svc.CreateNetwork(a, &model.Network{NetMeta: model.NetMeta{Name: "n3"}}), model.KindNetwork)
			if _, err := svc.UpdateNetwork(a, n1.ID, func(n *model.Network) error { n.Name = "n1b"; return nil }); err != nil {
				t.Fatalf("update at the limit: %v", err)
			}
			// An admin creating for the project is counted against it;
			// another project is not.
			wantOverQuota(t, svc.CreateNetwork(admin, &model.Network{NetMeta: model.NetMeta{Name: "n3", ProjectID: "pa"}}), model.KindNetwork)
			must(t, svc.CreateNetwork(as("pb"), &model.Network{NetMeta: model.NetMeta{Name: "b1"}}))
			// A second override keeps the first; -1 is unlimited.
			l, err = svc.SetQuota(admin, "pa", model.QuotaLimits{model.KindPort: 1})
			must(t, err)
			if l[model.KindNetwork] != 2 || l[model.KindPort] != 1 {
				t.Fatalf("merged limits %v", l)
			}
			setQuota(t, svc, "pa", model.QuotaLimits{model.KindNetwork: -1})
			must(t, svc.CreateNetwork(a, &model.Network{NetMeta: model.NetMeta{Name: "n3"}}))
			if pq, err := svc.ProjectQuotas(admin); err != nil || len(pq) != 1 || pq[0].ProjectID != "pa" || pq[0].Limits[model.KindNetwork] != -1 || pq[0].Limits[model.KindPort] != 1 {
				t.Fatalf("project quotas %+v %v", pq, err)
			}
			if pq, err := svc.ProjectQuotas(as("pb")); err != nil || len(pq) != 0 {
				t.Fatalf("pb sees overrides %+v %v", pq, err)
			}

			// The service's own ports: a router's gateway and interface
			// and a floating IP's port count for nobody.
			ext := &model.Network{NetMeta: model.NetMeta{Name: "public", ProjectID: "admin"}, External: true, Type: model.NetworkTypeFlat, PhysicalNetwork: "public"}
			must(t, svc.CreateNetwork(admin, ext))
			must(t, svc.CreateSubnet(admin, &model.Subnet{NetworkID: ext.ID, CIDR: "172.24.4.0/24"}))
			sn := &model.Subnet{NetworkID: n1.ID, CIDR: "10.0.0.0/24"}
			must(t, svc.CreateSubnet(a, sn))
			r := &model.Router{NetMeta: model.NetMeta{Name: "r1"}}
			must(t, svc.CreateRouter(a, r, &GatewayRequest{NetworkID: ext.ID}))
			_, err = svc.AddRouterInterface(a, r.ID, sn.ID, "")
			must(t, err)
			setQuota(t, svc, "pa", model.QuotaLimits{model.KindFloatingIP: 1})
			must(t, svc.CreateFloatingIP(a, &model.FloatingIP{FloatingNetworkID: ext.ID}))
			extPorts, err := svc.ListPorts(admin, store.NetFilter{NetworkID: ext.ID})
			must(t, err)
			wantOverQuota(t, svc.CreateFloatingIP(a, &model.FloatingIP{FloatingNetworkID: ext.ID}), model.KindFloatingIP)
			if again, err := svc.ListPorts(admin, store.NetFilter{NetworkID: ext.ID}); err != nil || len(again) != len(extPorts) {
				t.Fatalf("a refused floating IP left a port: %d then %d (%v)", len(extPorts), len(again), err)
			}
			if u := used(t, svc, a, "pa", model.KindPort); u != 0 {
				t.Fatalf("service ports counted: %d", u)
			}
			// One port of the tenant's own, then refused (the Neutron
			// API's path, the container's, network attach).
			p := &model.Port{NetworkID: n1.ID}
			must(t, svc.CreatePort(a, p, PortOptions{}))
			wantOverQuota(t, svc.CreatePort(a, &model.Port{NetworkID: n1.ID}, PortOptions{}), model.KindPort)
			_, err = svc.CreateContainerPorts(a, "ctr-1", []NetRequest{{Network: "n1b"}}, nil, []string{"80/tcp"})
			wantOverQuota(t, err, model.KindPort)
			if gs, _, err := svc.ListSecurityGroups(a, store.NetFilter{Name: "zun-ctr-1"}); err != nil || len(gs) != 0 {
				t.Fatalf("a refused container left its group: %v %v", gs, err)
			}
			_, err = svc.AttachDevice(a, "ctr-2", "h1", NetRequest{Network: "n1b"}, nil)
			wantOverQuota(t, err, model.KindPort)
			// Claiming an existing port adds none.
			if _, err := svc.CreateContainerPorts(a, "ctr-3", []NetRequest{{Port: p.ID}}, nil, nil); err != nil {
				t.Fatalf("claiming a port over quota: %v", err)
			}
			ports, err := svc.ListPorts(a, store.NetFilter{NetworkID: n1.ID})
			must(t, err)
			tenant := 0
			for _, x := range ports {
				if !isServicePort(x.DeviceOwner) {
					tenant++
				}
			}
			if tenant != 1 {
				t.Fatalf("refused creates left ports: %d of the tenant's", tenant)
			}

			// Security groups: the default group is made whatever the
			// quota (else no port could be created), and counts.
			setQuota(t, svc, "pc", model.QuotaLimits{model.KindSecurityGroup: 0, model.KindSecurityGroupRule: 5})
			c := as("pc")
			nc := &model.Network{NetMeta: model.NetMeta{Name: "c"}, PortSecurity: true}
			must(t, svc.CreateNetwork(c, nc))
			must(t, svc.CreateSubnet(c, &model.Subnet{NetworkID: nc.ID, CIDR: "10.2.0.0/24"}))
			must(t, svc.CreatePort(c, &model.Port{NetworkID: nc.ID}, PortOptions{}))
			_, err = svc.CreateSecurityGroup(c, &model.SecurityGroup{NetMeta: model.NetMeta{Name: "web"}})
			wantOverQuota(t, err, model.KindSecurityGroup)
			d, err := svc.QuotaDetails(c, "pc")
			must(t, err)
			if d[model.KindSecurityGroup] != (model.NetQuotaUsage{Used: 1, Limit: 0}) || d[model.KindSecurityGroupRule].Used != 4 {
				t.Fatalf("group usage %+v", d)
			}
			// A new group brings two egress rules, which count: 4 + 2 > 5
			// refuses the whole create.
			setQuota(t, svc, "pc", model.QuotaLimits{model.KindSecurityGroup: 2})
			_, err = svc.CreateSecurityGroup(c, &model.SecurityGroup{NetMeta: model.NetMeta{Name: "web"}})
			wantOverQuota(t, err, model.KindSecurityGroupRule)
			if gs, _, err := svc.ListSecurityGroups(c, store.NetFilter{Name: "web"}); err != nil || len(gs) != 0 {
				t.Fatalf("a refused group stayed: %v %v", gs, err)
			}
			setQuota(t, svc, "pc", model.QuotaLimits{model.KindSecurityGroupRule: 6})
			_, err = svc.CreateSecurityGroup(c, &model.SecurityGroup{NetMeta: model.NetMeta{Name: "web"}})
			must(t, err)

			// Reset: defaults again; a second reset is not found.
			must(t, svc.ResetQuota(admin, "pa"))
			l, err = svc.Quota(a, "pa")
			must(t, err)
			if !maps.Equal(l, model.DefaultNetQuotaLimits()) {
				t.Fatalf("after reset %v", l)
			}
			if err := svc.ResetQuota(admin, "pa"); !errors.Is(err, errdefs.ErrNotFound) {
				t.Fatalf("second reset: %v", err)
			}
			must(t, svc.CreatePort(a, &model.Port{NetworkID: n1.ID}, PortOptions{}))
		})
	}
}

// TestQuotaConcurrentPorts: 20 parallel port creates against a quota of 5
// create exactly 5 (the count and the insert share the serialized write).
func TestQuotaConcurrentPorts(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			svc := New(open(t).Networks(), DefaultConfig(), Deps{})
			a := as("pa")
			n := &model.Network{NetMeta: model.NetMeta{Name: "n"}}
			must(t, svc.CreateNetwork(a, n))
			must(t, svc.CreateSubnet(a, &model.Subnet{NetworkID: n.ID, CIDR: "10.1.0.0/24"}))
			setQuota(t, svc, "pa", model.QuotaLimits{model.KindPort: 5})
			var (
				mu        sync.Mutex
				ok, overs int
				wg        sync.WaitGroup
			)
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := svc.CreatePort(a, &model.Port{NetworkID: n.ID}, PortOptions{})
					mu.Lock()
					defer mu.Unlock()
					var ne *Error
					switch {
					case err == nil:
						ok++
					case errors.As(err, &ne) && ne.Type == "OverQuota":
						overs++
					default:
						t.Errorf("create: %v", err)
					}
				}()
			}
			wg.Wait()
			ports, err := svc.ListPorts(a, store.NetFilter{})
			must(t, err)
			if ok != 5 || overs != 15 || len(ports) != 5 {
				t.Fatalf("created %d, refused %d, %d ports stored", ok, overs, len(ports))
			}
			if u := used(t, svc, a, "pa", model.KindPort); u != 5 {
				t.Fatalf("used %d", u)
			}
		})
	}
}

// TestQuotaReadsWriteNothing: limits, details and the list of overrides
// are reads; the revision (which every write bumps) stays.
func TestQuotaReadsWriteNothing(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			svc := New(open(t).Networks(), DefaultConfig(), Deps{})
			a := as("pa")
			must(t, svc.CreateNetwork(a, &model.Network{NetMeta: model.NetMeta{Name: "n"}}))
			setQuota(t, svc, "pa", model.QuotaLimits{model.KindRouter: 3})
			before, err := svc.Revision(a)
			must(t, err)
			d, err := svc.QuotaDetails(a, "pa")
			must(t, err)
			if d[model.KindNetwork] != (model.NetQuotaUsage{Used: 1, Limit: 100}) || d[model.KindRouter].Limit != 3 || len(d) != len(model.NetQuotaResources) {
				t.Fatalf("details %+v", d)
			}
			_, err = svc.Quota(a, "pa")
			must(t, err)
			_, err = svc.ProjectQuotas(adminCtx())
			must(t, err)
			if after, err := svc.Revision(a); err != nil || after != before {
				t.Fatalf("revision %d -> %d (%v)", before, after, err)
			}
		})
	}
}
