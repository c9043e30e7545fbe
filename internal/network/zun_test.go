package network

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/store/sqlstore"
	"github.com/openzun/zun/internal/zunctx"
)

func TestContainerPorts(t *testing.T) {
	s, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "zun.db"), nil)
	must(t, err)
	defer s.Close()
	rec := &recorder{}
	svc := New(s.Networks(), DefaultConfig(), Deps{Notifier: rec, Picker: fixedHost("h1")})
	a := as("pa")
	// No network yet: "private" is made on first need.
	got, err := svc.CreateContainerPorts(a, "ctr-1", nil, nil, []string{"80/tcp"})
	must(t, err)
	if len(got.Ports) != 1 || got.Ports[0].FixedIPs[0].CIDR != DefaultSubnetCIDR || len(got.SecurityGroups) != 2 || got.Ports[0].Preserve {
		t.Fatalf("ports %+v", got)
	}
	// A taken address allocates nothing.
	ip := got.Ports[0].FixedIPs[0].IPAddress
	if _, err := svc.CreateContainerPorts(a, "ctr-2", []NetRequest{{Network: "private", V4IP: "10.0.0.77"}, {Network: "private", V4IP: ip}}, nil, nil); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("taken address: %v", err)
	}
	if _, err := svc.CreateContainerPorts(a, "ctr-2", nil, []string{"nope"}, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("unknown group: %v", err)
	}
	// Announced once, at the bind: ports created for a container tell no
	// host (each announcement costs a host a fetch and an apply).
	must(t, svc.BindDevice(a, "ctr-1", "h1"))
	rec.take()
	_, err = svc.CreateContainerPorts(a, "ctr-4", []NetRequest{{Network: "private"}}, nil, nil)
	must(t, err)
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("creating unbound ports told hosts %v", got)
	}
	must(t, svc.BindDevice(a, "ctr-4", "h3"))
	if got := rec.take(); !slices.Equal(got, []string{"h1", "h3"}) {
		t.Fatalf("the bind told %v, want the new port's host and the network's other host", got)
	}
	must(t, svc.ReleaseDevice(zunctx.System(context.Background()), "ctr-4"))
	must(t, svc.BindDevice(a, "ctr-1", "h2"))
	sys := zunctx.System(context.Background())
	st, err := svc.HostState(sys, "h2")
	must(t, err)
	if len(st.Ports) != 1 || st.Ports[0].IPs[0] != ip || len(st.SecurityGroups) != 2 {
		t.Fatalf("state %+v", st)
	}
	// A user's port is unbound, not deleted.
	n, err := svc.FindNetwork(a, "private")
	must(t, err)
	up := &model.Port{NetworkID: n.ID}
	must(t, svc.CreatePort(a, up, PortOptions{}))
	got2, err := svc.CreateContainerPorts(a, "ctr-3", []NetRequest{{Port: up.ID}}, nil, nil)
	must(t, err)
	if !got2.Ports[0].Preserve {
		t.Fatalf("user port %+v", got2)
	}
	must(t, svc.ReleaseDevice(sys, "ctr-1"))
	must(t, svc.ReleaseDevice(sys, "ctr-3"))
	ports, err := svc.ListPorts(a, store.NetFilter{})
	must(t, err)
	for _, p := range ports {
		if p.DeviceID == "ctr-1" || p.DeviceID == "ctr-3" {
			t.Fatalf("port left: %+v", p)
		}
	}
	if _, err := svc.GetPort(a, up.ID); err != nil {
		t.Fatalf("user port deleted: %v", err)
	}
	gs, _, err := svc.ListSecurityGroups(a, store.NetFilter{})
	must(t, err)
	if len(gs) != 1 {
		t.Fatalf("groups left: %d", len(gs))
	}
}
