package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostDownShowsUnknown (hardening F.29): an agent that stops answering
// (frozen with SIGSTOP: its containers keep running, its heartbeats stop)
// makes its host down after the service-down time; its containers are shown
// Unknown with the last status in the reason, never deleted, and the
// container keeps running; when the agent answers again they are Running,
// with the same process.
func TestHostDownShowsUnknown(t *testing.T) {
	requireDocker(t)
	a, comp, _, _ := startComputeOn(t, "unix:///var/run/docker.sock", "--service-down-time", "4s", "--heartbeat-interval", "1s")
	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "memory": "32"}, 202, &c)
	a.WaitStatus(c.UUID, 60*time.Second, "Running")
	pid := docker(t, "inspect", "--format", "{{.State.Pid}}", "zun-"+c.UUID)

	if err := comp.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			_ = comp.cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	got := a.WaitStatus(c.UUID, 30*time.Second, "Unknown")
	if got.Status != "Unknown" || !strings.Contains(deref(got.StatusReason), "Running") {
		t.Fatalf("host down: %s (%s), want Unknown with the last status", got.Status, deref(got.StatusReason))
	}
	var list struct{ Containers []container }
	a.Do("GET", "/v1/containers", nil, 200, &list)
	if len(list.Containers) != 1 || list.Containers[0].Status != "Unknown" {
		t.Errorf("list while the host is down: %+v", list.Containers)
	}
	if st := docker(t, "inspect", "--format", "{{.State.Status}} {{.State.Pid}}", "zun-"+c.UUID); st != "running "+pid {
		t.Errorf("the engine's container while its agent is frozen: %s", st)
	}

	_ = comp.cmd.Process.Signal(syscall.SIGCONT)
	resumed = true
	got = a.WaitStatus(c.UUID, 30*time.Second, "Running")
	if got.Status != "Running" || got.StatusReason != nil && strings.Contains(*got.StatusReason, "not responding") {
		t.Fatalf("after the agent is back: %s (%s)", got.Status, deref(got.StatusReason))
	}
	if now := docker(t, "inspect", "--format", "{{.State.Pid}}", "zun-"+c.UUID); now != pid {
		t.Errorf("process changed: %s -> %s", pid, now)
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
}
