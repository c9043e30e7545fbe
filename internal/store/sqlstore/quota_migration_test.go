package sqlstore

import (
	"context"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store/migrations"
	"github.com/openzun/zun/internal/testutil/pgtest"
	"github.com/openzun/zun/internal/zunctx"
)

// TestQuotaMigrationBackfill runs the backfill of 0003 on rows written
// before it (cpu and disk only in the JSON record) and checks the usage
// counts them, on both dialects.
func TestQuotaMigrationBackfill(t *testing.T) {
	for name, dsn := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return sqliteDSN(t) },
		"postgres": func(t *testing.T) string { return pgtest.Shared(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, dsn(t))
			ctx := zunctx.System(context.Background())
			for i, c := range []*model.Container{
				{Name: "a", ProjectID: "p", Image: "busybox:1.35", CPU: 1.5, Memory: 64, Disk: 3},
				{Name: "b", ProjectID: "p", Image: "busybox:1.35", CPU: 0.25, Memory: 32},
			} {
				if err := s.Containers().Create(ctx, c); err != nil {
					t.Fatalf("create %d: %v", i, err)
				}
			}
			// As a database migrated to 0002 has them.
			if _, err := s.write.exec(ctx, "UPDATE containers SET cpu = 0, disk = 0"); err != nil {
				t.Fatal(err)
			}
			all, err := migrations.All()
			if err != nil {
				t.Fatal(err)
			}
			var backfill string
			for _, m := range all {
				if m.Name != "0003_quotas" {
					continue
				}
				for _, st := range migrations.Statements(s.d.migrationSQL(m.SQL)) {
					if strings.HasPrefix(st, "UPDATE containers") {
						backfill = st
					}
				}
			}
			if backfill == "" || strings.Contains(backfill, "{{") {
				t.Fatalf("backfill statement %q", backfill)
			}
			if _, err := s.write.db.ExecContext(ctx, backfill); err != nil {
				t.Fatalf("%s: %v", backfill, err)
			}
			u, err := s.Quotas().Usage(ctx, "p")
			if err != nil {
				t.Fatal(err)
			}
			if want := (model.QuotaUsage{Containers: 2, CPU: 1.75, Memory: 96, Disk: 3}); u != want {
				t.Fatalf("usage after backfill %+v, want %+v", u, want)
			}
		})
	}
}
