package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAllInOneRestartKeepsState kills the all-in-one hard and starts it
// again: every record is kept and running containers keep running, in the
// same engine container.
func TestAllInOneRestartKeepsState(t *testing.T) {
	requireDocker(t)
	dir := t.TempDir()
	addr := freePort(t)
	a := startAIOAt(t, dir, addr)
	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "name": "survivor"}, 202, &c)
	a.WaitStatus(c.UUID, 60*time.Second, "Running")
	id := docker(t, "inspect", "-f", "{{.Id}}", "zun-"+c.UUID)

	a.Proc.kill9()
	if st := docker(t, "inspect", "-f", "{{.State.Status}}", "zun-"+c.UUID); st != "running" {
		t.Fatalf("container stopped with the service: %s", st)
	}
	a.Restart()
	got := a.WaitStatus(c.UUID, 30*time.Second, "Running")
	if got.Name != "survivor" {
		t.Errorf("record changed: %+v", got)
	}
	if id2 := docker(t, "inspect", "-f", "{{.Id}}", "zun-"+c.UUID); id2 != id {
		t.Errorf("engine container replaced: %s -> %s", id, id2)
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
}

// TestComputeKilledDuringCreates runs zun-compute as its own process, kills
// it with SIGKILL while creates are in flight and restarts it: every
// container converges to Running, Created or Error with a reason, and no
// engine container is left without a record.
func TestComputeKilledDuringCreates(t *testing.T) {
	requireDocker(t)
	dir := t.TempDir()
	natsAddr := freePort(t)
	a := startAIOAt(t, dir, freePort(t), "--embedded-compute=false", "--nats-listen", natsAddr)
	pw, err := os.ReadFile(filepath.Join(dir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	host := uniqueHost()
	computeArgs := []string{"--nats-url", "nats://" + natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
		"--host", host, "--sync-interval", "3s", "--heartbeat-interval", "1s", "--data-dir", dir}
	comp := startProc(t, "zun-compute", computeArgs...)
	waitFor(t, 30*time.Second, func() bool {
		var l struct{ Hosts []struct{ Hostname string } }
		a.Do("GET", "/v1/hosts", nil, 200, &l)
		return len(l.Hosts) == 1
	})

	const n = 6
	uuids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c container
			a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"},
				"name": fmt.Sprintf("crash-%d", i), "memory": "32"}, 202, &c)
			uuids[i] = c.UUID
		}()
		if i == n/2 {
			time.Sleep(150 * time.Millisecond)
			comp.kill9()
		}
	}
	wg.Wait()
	comp = startProc(t, "zun-compute", computeArgs...)
	for _, u := range uuids {
		c := a.WaitStatus(u, 90*time.Second, "Running", "Created", "Error")
		if c.Status == "Error" && deref(c.StatusReason) == "<nil>" {
			t.Errorf("%s in Error without reason", u)
		}
	}
	// No orphan: every engine container of this project has a record.
	records := map[string]bool{}
	for _, u := range uuids {
		records[u] = true
	}
	for uuid := range engineContainersOfHost(t, host) {
		if !records[uuid] {
			t.Errorf("orphan engine container %s", uuid)
		}
	}
	for _, u := range uuids {
		a.Do("DELETE", "/v1/containers/"+u+"?force=true", nil, 204, nil)
	}
	for _, u := range uuids {
		a.WaitGone(u, 60*time.Second)
	}
	if left := engineContainersOfHost(t, host); len(left) != 0 {
		t.Errorf("engine containers left after delete: %v", left)
	}
	_ = comp
}

// engineContainersOfHost lists the engine containers labelled for host.
func engineContainersOfHost(t *testing.T, host string) map[string]string {
	t.Helper()
	out := docker(t, "ps", "-a", "--filter", "label=zun.host="+host, "--format", `{{.Label "zun.uuid"}} {{.State}}`)
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}
