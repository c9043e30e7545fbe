package e2e

import (
	"testing"
	"time"

	"github.com/openzun/zun/internal/testutil/pgtest"
)

// TestAllInOneOnPostgres runs the all-in-one on a real PostgreSQL (a
// throwaway cluster) instead of SQLite: the same binary, chosen by the
// database URL; records survive a restart.
func TestAllInOneOnPostgres(t *testing.T) {
	requireDocker(t)
	dsn := pgtest.Start(t)
	dir := t.TempDir()
	a := startAIOAt(t, dir, freePort(t), "--database", dsn)
	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "name": "onpg"}, 202, &c)
	a.WaitStatus(c.UUID, 60*time.Second, "Running")
	a.Proc.stop(15)
	a.Restart()
	if got := a.WaitStatus(c.UUID, 30*time.Second, "Running"); got.Name != "onpg" {
		t.Errorf("after restart: %+v", got)
	}
	a.Do("DELETE", "/v1/containers/onpg?stop=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
}
