package pgtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Start starts a cluster for t alone and returns the DSN of an empty
// database in it. The cluster is removed when t ends.
func Start(t testing.TB) string {
	t.Helper()
	c, err := StartCluster(context.Background())
	if errors.Is(err, ErrNoBinaries) {
		t.Skipf("pgtest: missing capability: %v", err)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("pgtest: failed to stop cluster: %v", err)
		}
	})
	dsn, _, err := c.CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

var shared struct {
	sync.Mutex
	c   *Cluster
	err error
}

// Shared returns the DSN of a fresh database in the cluster shared by the
// test binary, starting the cluster on first use. The database is dropped
// when t ends.
func Shared(t testing.TB) string {
	t.Helper()
	shared.Lock()
	if shared.c == nil && shared.err == nil {
		shared.c, shared.err = StartCluster(context.Background())
	}
	c, err := shared.c, shared.err
	shared.Unlock()
	if errors.Is(err, ErrNoBinaries) {
		t.Skipf("pgtest: missing capability: %v", err)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, name, err := c.CreateDatabase(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.DropDatabase(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// StopShared stops the shared cluster, if it was started. Call it from
// TestMain after m.Run.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.c != nil {
		_ = shared.c.Stop()
	}
	shared.c, shared.err = nil, nil
}
