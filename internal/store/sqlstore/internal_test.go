package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store/migrations"
	"github.com/openzun/zun/internal/store/storetest"
	"github.com/openzun/zun/internal/testutil/pgtest"
	"github.com/openzun/zun/internal/zunctx"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct{ dsn, kind, target string }{
		{"", "sqlite", DefaultSQLitePath},
		{"sqlite:///var/lib/zun/x.db", "sqlite", "/var/lib/zun/x.db"},
		{"sqlite:rel.db", "sqlite", "rel.db"},
		{"/tmp/zun.db", "sqlite", "/tmp/zun.db"},
		{"postgres://u@h/db", "postgres", "postgres://u@h/db"},
		{"postgresql://u@h/db?sslmode=disable", "postgres", "postgresql://u@h/db?sslmode=disable"},
	} {
		kind, target, err := parseDSN(tc.dsn)
		if err != nil || kind != tc.kind || target != tc.target {
			t.Errorf("parseDSN(%q) = %q, %q, %v; want %q, %q", tc.dsn, kind, target, err, tc.kind, tc.target)
		}
	}
	for _, bad := range []string{"mysql://x", "sqlite://"} {
		if _, _, err := parseDSN(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("parseDSN(%q) error %v, want invalid argument", bad, err)
		}
	}
}

func TestRebind(t *testing.T) {
	got := postgresDialect.rebind("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?")
	if want := "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2"; got != want {
		t.Fatalf("rebind = %q, want %q", got, want)
	}
	if got := sqliteDialect.rebind("x = ?"); got != "x = ?" {
		t.Fatalf("sqlite rebind = %q", got)
	}
}

func schemaRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.read.queryRow(context.Background(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	if SchemaVersion() != len(mustMigrations(t)) || SchemaVersion() < 1 {
		t.Fatalf("SchemaVersion %d", SchemaVersion())
	}
	dsns := map[string]string{"sqlite": sqliteDSN(t), "postgres": pgtest.Shared(t)}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			// Several processes starting at once on one database.
			var wg sync.WaitGroup
			stores := make([]*Store, 3)
			errs := make([]error, 3)
			for i := range stores {
				wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn, testLogger(t)) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("Open %d: %v", i, err)
				}
				defer stores[i].Close()
			}
			if n := schemaRows(t, stores[0]); n != SchemaVersion() {
				t.Fatalf("schema_migrations has %d rows, want %d", n, SchemaVersion())
			}
			if stores[0].Dialect() != name {
				t.Fatalf("Dialect = %q", stores[0].Dialect())
			}
		})
	}
}

func mustMigrations(t *testing.T) []migrations.Migration {
	t.Helper()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestClaimSeveralStores runs claims from several Store instances (several
// API processes) on one database: the host is never over-committed.
func TestClaimSeveralStores(t *testing.T) {
	t.Parallel()
	for name, dsn := range map[string]string{"sqlite": sqliteDSN(t), "postgres": pgtest.Shared(t)} {
		t.Run(name, func(t *testing.T) {
			stores := []*Store{openStore(t, dsn), openStore(t, dsn), openStore(t, dsn)}
			ctx := zunctx.System(context.Background())
			if err := stores[0].Hosts().Upsert(ctx, storetest.NewNode("node-1", 10)); err != nil {
				t.Fatal(err)
			}
			const n = 40
			cs := make([]*model.Container, n)
			for i := range cs {
				cs[i] = &model.Container{Name: fmt.Sprintf("c%d", i), ProjectID: "p", CPU: 1, Memory: 256, Disk: 1}
				if err := stores[i%len(stores)].Containers().Create(ctx, cs[i]); err != nil {
					t.Fatal(err)
				}
			}
			var (
				wg        sync.WaitGroup
				mu        sync.Mutex
				won, lost int
			)
			for i, c := range cs {
				wg.Go(func() {
					err := stores[i%len(stores)].Hosts().Claim(ctx, model.Allocation{
						ContainerUUID: c.UUID, Host: "node-1", CPU: c.CPU, Memory: c.Memory, Disk: c.Disk})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won++
					case errors.Is(err, errdefs.ErrConflict):
						lost++
					default:
						t.Errorf("Claim: %v", err)
					}
				})
			}
			wg.Wait()
			if won != 10 || lost != n-10 {
				t.Fatalf("%d claims on room for 10: %d won, %d lost", n, won, lost)
			}
			usage, err := stores[1].Hosts().Usage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if u := usage["node-1"]; u.Containers != 10 || u.CPU != 10 || u.Memory != 2560 {
				t.Fatalf("Usage = %+v", u)
			}
		})
	}
}

// TestClaimSetsJSONHost checks that the JSON copy of the record gets the
// host too, not only the column.
func TestClaimSetsJSONHost(t *testing.T) {
	t.Parallel()
	for name, dsn := range map[string]string{"sqlite": sqliteDSN(t), "postgres": pgtest.Shared(t)} {
		t.Run(name, func(t *testing.T) {
			s := openStore(t, dsn)
			ctx := zunctx.System(context.Background())
			if err := s.Hosts().Upsert(ctx, storetest.NewNode("node-1", 1)); err != nil {
				t.Fatal(err)
			}
			c := &model.Container{Name: "x", ProjectID: "p", CPU: 1}
			if err := s.Containers().Create(ctx, c); err != nil {
				t.Fatal(err)
			}
			if err := s.Hosts().Claim(ctx, model.Allocation{ContainerUUID: c.UUID, Host: "node-1", CPU: 1}); err != nil {
				t.Fatal(err)
			}
			var data string
			if err := s.read.queryRow(ctx, "SELECT data FROM containers WHERE uuid = ?", c.UUID).Scan(&data); err != nil {
				t.Fatal(err)
			}
			var got model.Container
			if err := json.Unmarshal([]byte(data), &got); err != nil {
				t.Fatal(err)
			}
			if got.Host != "node-1" || got.Name != "x" || got.CPU != 1 {
				t.Fatalf("JSON after claim: %s", data)
			}
		})
	}
}
