package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openzun/zun/internal/testutil/pgtest"
)

// TestDatabaseOutage (hardening F.28): PostgreSQL goes away for a while.
// Writes answer 503 quickly instead of hanging, nothing is half-applied,
// a delete accepted just before the outage is carried out after it, and
// everything converges once the database is back.
func TestDatabaseOutage(t *testing.T) {
	requireDocker(t)
	cluster, err := pgtest.StartCluster(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Stop() })
	dsn, _, err := cluster.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := startAIOAt(t, t.TempDir(), freePort(t), "--database", dsn)
	run := func(name string) string {
		var c container
		a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"},
			"name": name, "memory": "32"}, 202, &c)
		return c.UUID
	}
	keep, gone := run("keep"), run("gone")
	a.WaitStatus(keep, 60*time.Second, "Running")
	a.WaitStatus(gone, 60*time.Second, "Running")

	a.Do("DELETE", "/v1/containers/"+gone+"?stop=true", nil, 204, nil)
	cluster.Halt()
	outage := time.Now()

	for _, req := range []struct{ method, path string }{
		{"POST", "/v1/containers?run=true"},
		{"GET", "/v1/containers"},
		{"POST", "/v1/containers/" + keep + "/stop"},
	} {
		start := time.Now()
		var body any
		if req.path == "/v1/containers?run=true" {
			body = map[string]any{"image": "busybox:1.35", "name": "during", "memory": "32"}
		}
		st, b := a.doRaw(req.method, req.path, a.admin, "1.40", body)
		took := time.Since(start)
		if st != http.StatusServiceUnavailable && !(req.method == "GET" && st == 200) {
			t.Errorf("%s %s during the outage: %d %s", req.method, req.path, st, b)
		}
		if took > 2*time.Second {
			t.Errorf("%s %s during the outage took %v", req.method, req.path, took)
		}
	}
	time.Sleep(8*time.Second - time.Since(outage))
	if err := cluster.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The delete accepted before the outage is finished, the other
	// container still runs, nothing was created during the outage.
	a.WaitGone(gone, 90*time.Second)
	if left := engineContainersOfHost(t, hostOf(a)); len(left) != 1 {
		t.Errorf("engine containers after the outage: %v", left)
	}
	if c := a.WaitStatus(keep, 30*time.Second, "Running"); c.Status != "Running" {
		t.Errorf("kept container: %s (%s)", c.Status, deref(c.StatusReason))
	}
	st, _ := a.doRaw("GET", "/v1/containers/during", a.admin, "1.40", nil)
	if st != 404 {
		t.Errorf("a create refused during the outage left a record: %d", st)
	}
	// Writes work again.
	again := run("after")
	a.WaitStatus(again, 60*time.Second, "Running")
	for _, u := range []string{keep, again} {
		a.Do("DELETE", "/v1/containers/"+u+"?force=true", nil, 204, nil)
		a.WaitGone(u, 60*time.Second)
	}
}
