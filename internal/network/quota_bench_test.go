package network

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store/sqlstore"
)

// BenchmarkPortCreateQuota measures a port create and delete on SQLite
// with 400 ports already in the project, one of them the service's:
// against the default limit (500: the index count decides), at the limit
// (400: a second count leaves the service's port out) and unlimited (-1,
// no count).
func BenchmarkPortCreateQuota(b *testing.B) {
	for _, c := range []struct {
		name  string
		limit int64
	}{{"limit-500", 500}, {"limit-400", 400}, {"unlimited", -1}} {
		b.Run(c.name, func(b *testing.B) {
			st, err := sqlstore.Open(context.Background(), filepath.Join(b.TempDir(), "zun.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc := New(st.Networks(), DefaultConfig(), Deps{})
			a := as("pa")
			n := &model.Network{NetMeta: model.NetMeta{Name: "n"}, PortSecurity: true}
			if err := svc.CreateNetwork(a, n); err != nil {
				b.Fatal(err)
			}
			if err := svc.CreateSubnet(a, &model.Subnet{NetworkID: n.ID, CIDR: "10.8.0.0/22"}); err != nil {
				b.Fatal(err)
			}
			for i := range 400 {
				owner := model.DeviceOwnerCompute
				if i == 0 {
					owner = "network:dhcp"
				}
				if err := svc.CreatePort(a, &model.Port{NetworkID: n.ID, DeviceOwner: owner, DeviceID: "d"}, PortOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := svc.SetQuota(adminCtx(), "pa", model.QuotaLimits{model.KindPort: c.limit}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				p := &model.Port{NetworkID: n.ID}
				if err := svc.CreatePort(a, p, PortOptions{}); err != nil {
					b.Fatal(err)
				}
				if err := svc.DeletePort(a, p.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
