package e2e

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestConcurrentCreatesNeverOvercommit fires 20 creates at once against a
// host with room for exactly 10: 10 are placed, 10 end in Error with Zun's
// reason, and the host's claimed memory is within its capacity.
func TestConcurrentCreatesNeverOvercommit(t *testing.T) {
	requireDocker(t)
	dir := t.TempDir()
	addr := freePort(t)
	a := startAIOAt(t, dir, addr)
	var hosts struct {
		Hosts []struct {
			MemTotal int64 `json:"mem_total"`
		} `json:"hosts"`
	}
	a.Do("GET", "/v1/hosts", nil, 200, &hosts)
	memTotal := hosts.Hosts[0].MemTotal
	a.Proc.stop(15)
	// Room for exactly ten 512 MiB containers.
	a.args = append(a.args, "--ram-allocation-ratio", "1", "--reserved-host-memory", strconv.FormatInt(memTotal-10*512, 10))
	a.Restart()

	const n = 20
	uuids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c container
			a.Do("POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "name": fmt.Sprintf("c%02d", i), "memory": 512}, 202, &c)
			uuids[i] = c.UUID
		}()
	}
	wg.Wait()
	placed, refused := 0, 0
	for _, u := range uuids {
		c := a.WaitStatus(u, 90*time.Second, "Created", "Error")
		switch c.Status {
		case "Created":
			placed++
		case "Error":
			if deref(c.StatusReason) != "There are not enough hosts available." {
				t.Errorf("%s: reason %q", u, deref(c.StatusReason))
			}
			refused++
		}
	}
	if placed != 10 || refused != 10 {
		t.Errorf("placed %d, refused %d; want 10 and 10", placed, refused)
	}
	var h struct {
		Hosts []struct {
			MemUsed int64 `json:"mem_used"`
		} `json:"hosts"`
	}
	a.Do("GET", "/v1/hosts", nil, 200, &h)
	if h.Hosts[0].MemUsed != 10*512 {
		t.Errorf("mem_used %d, want %d", h.Hosts[0].MemUsed, 10*512)
	}
	for _, u := range uuids {
		a.Do("DELETE", "/v1/containers/"+u, nil, 204, nil)
	}
	for _, u := range uuids {
		a.WaitGone(u, 60*time.Second)
	}
	a.Do("GET", "/v1/hosts", nil, 200, &h)
	if h.Hosts[0].MemUsed != 0 {
		t.Errorf("mem_used after delete %d", h.Hosts[0].MemUsed)
	}
}
