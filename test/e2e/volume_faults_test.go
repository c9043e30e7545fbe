package e2e

import (
	"database/sql"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// volumeHost is an all-in-one without its embedded agent plus one
// zun-compute whose restarts the test controls.
type volumeHost struct {
	*aio
	tt          *testing.T
	volDir      string
	computeArgs []string
	comp        *proc
}

func startVolumeHost(t *testing.T) *volumeHost {
	t.Helper()
	requireDocker(t)
	requireTool(t, "losetup")
	requireTool(t, "mkfs.ext4")
	dir := t.TempDir()
	volDir := cleanupVolumes(t, dir)
	natsAddr := freePort(t)
	a := startAIOAt(t, dir, freePort(t), "--embedded-compute=false", "--nats-listen", natsAddr)
	pw, err := os.ReadFile(filepath.Join(dir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	h := &volumeHost{aio: a, tt: t, volDir: volDir, computeArgs: []string{"--nats-url", "nats://" + natsAddr, "--nats-user", "zun",
		"--nats-password", strings.TrimSpace(string(pw)), "--host", uniqueHost(), "--sync-interval", "2s",
		"--heartbeat-interval", "1s", "--data-dir", dir}}
	h.comp = startProc(t, "zun-compute", h.computeArgs...)
	waitFor(t, 30*time.Second, func() bool {
		var l struct{ Hosts []struct{ Hostname string } }
		a.Do("GET", "/v1/hosts", nil, 200, &l)
		return len(l.Hosts) == 1
	})
	return h
}

func (h *volumeHost) restartAgent() {
	h.comp = startProc(h.t, "zun-compute", h.computeArgs...)
}

// leftovers describes the mounts, loop devices and files under the
// volume directory.
func (h *volumeHost) leftovers() (mounts, loops, files []string) {
	return mountsUnder(h.tt, h.volDir), loopDevicesUnder(h.tt, h.volDir), filesUnder(h.tt, h.volDir)
}

// TestVolumeOrphans checks that the agent's reconcile releases the volume
// mounts of a container whose engine container vanished, and everything
// of a container whose record was deleted behind its back while it was
// down (kill -9): no loop device, mount or file is left.
func TestVolumeOrphans(t *testing.T) {
	h := startVolumeHost(t)
	a := h.aio
	base := a.volumeBase(a.admin)
	injected := base64.StdEncoding.EncodeToString([]byte("conf\n"))
	run := func(name string, mounts ...any) container {
		var c container
		a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "name": name,
			"command": []string{"sleep", "600"}, "mounts": mounts}, 202, &c)
		return a.WaitStatus(c.UUID, 90*time.Second, "Running")
	}

	// The engine container vanishes (docker rm behind the agent's back):
	// the record goes to Error and its volume is unmounted and detached.
	c1 := run("gone-engine", map[string]any{"size": 1, "destination": "/scratch"},
		map[string]any{"type": "bind", "source": injected, "destination": "/etc/x.conf"})
	if m, l, _ := h.leftovers(); len(m) != 1 || len(l) != 1 {
		t.Fatalf("while running: mounts %v, loops %v", m, l)
	}
	docker(t, "rm", "-f", "zun-"+c1.UUID)
	a.WaitStatus(c1.UUID, 30*time.Second, "Error")
	waitFor(t, 20*time.Second, func() bool {
		m, l, _ := h.leftovers()
		return len(m)+len(l) == 0
	})
	a.Do("DELETE", "/v1/containers/"+c1.UUID, nil, 204, nil)
	a.WaitGone(c1.UUID, 30*time.Second)
	if m, l, f := h.leftovers(); len(m)+len(l)+len(f) != 0 {
		t.Fatalf("after deleting the errored record: mounts %v, loops %v, files %v", m, l, f)
	}

	// The record goes while the agent is dead: its engine container, the
	// size= volume, the injected file and the named volume's mount go at
	// the agent's start-up; the named volume is available again.
	var named struct{ Volume struct{ ID, Status string } }
	a.Do("POST", base+"/volumes", map[string]any{"volume": map[string]any{"size": 1, "name": "kept"}}, 202, &named)
	c2 := run("gone-record", map[string]any{"size": 1, "destination": "/scratch"},
		map[string]any{"source": "kept", "destination": "/data"},
		map[string]any{"type": "bind", "source": injected, "destination": "/etc/x.conf"})
	if m, l, f := h.leftovers(); len(m) != 2 || len(l) != 2 || len(f) != 3 {
		t.Fatalf("while running: mounts %v, loops %v, files %v", m, l, f)
	}
	h.comp.kill9()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(a.DataDir, "zun.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"DELETE FROM allocations WHERE container_uuid = ?", "DELETE FROM containers WHERE uuid = ?"} {
		if _, err := db.Exec(q, c2.UUID); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	h.restartAgent()
	waitFor(t, 40*time.Second, func() bool {
		_, ok := engineContainers(t)[c2.UUID]
		m, l, f := h.leftovers()
		return !ok && len(m)+len(l) == 0 && slices.Equal(f, []string{"images/" + named.Volume.ID + ".img"})
	})
	a.Do("GET", base+"/volumes/"+named.Volume.ID, nil, 200, &named)
	if named.Volume.Status != "available" {
		t.Fatalf("named volume of the vanished record: %+v", named)
	}
	var list struct{ Volumes []struct{ ID string } }
	a.Do("GET", base+"/volumes", nil, 200, &list)
	if len(list.Volumes) != 1 {
		t.Fatalf("the size= volume outlived its record: %+v", list)
	}
	a.Do("DELETE", base+"/volumes/"+named.Volume.ID, nil, 202, nil)
	waitFor(t, 30*time.Second, func() bool {
		st, _ := a.doRaw("GET", base+"/volumes/"+named.Volume.ID, a.admin, "", nil)
		m, l, f := h.leftovers()
		return st == 404 && len(m)+len(l)+len(f) == 0
	})

	// A new volume larger than the host's disk: no host, the container
	// is Error as Zun says it, and its volume record is gone.
	var hosts struct {
		Hosts []struct {
			DiskTotal int64 `json:"disk_total"`
		}
	}
	a.Do("GET", "/v1/hosts", nil, 200, &hosts)
	if len(hosts.Hosts) != 1 || hosts.Hosts[0].DiskTotal >= 1000 {
		t.Fatalf("the host's disk (%+v) must be under 1000 GiB for this check", hosts)
	}
	var big container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "name": "too-big",
		"mounts": []any{map[string]any{"size": 1000, "destination": "/big"}}}, 202, &big)
	got := a.WaitStatus(big.UUID, 30*time.Second, "Error")
	if !strings.Contains(deref(got.StatusReason), "There are not enough hosts available") {
		t.Fatalf("a volume larger than any host: %q", deref(got.StatusReason))
	}
	a.Do("GET", base+"/volumes", nil, 200, &list)
	if len(list.Volumes) != 0 {
		t.Fatalf("the unplaceable volume stayed: %+v", list)
	}
	a.Do("DELETE", "/v1/containers/"+big.UUID, nil, 204, nil)
}

// TestVolumeHostReboot simulates what a host reboot leaves (agent gone,
// container stopped, volume unmounted, loop device detached): the agent's
// start-up reconcile attaches and mounts the volume again and the started
// container reads its data.
func TestVolumeHostReboot(t *testing.T) {
	h := startVolumeHost(t)
	a := h.aio
	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "name": "rebooted",
		"command": []string{"sh", "-c", "test -f /data/f || echo before-reboot > /data/f; sleep 600"},
		"mounts":  []any{map[string]any{"size": 1, "destination": "/data"}}}, 202, &c)
	a.WaitStatus(c.UUID, 90*time.Second, "Running")
	waitFor(t, 10*time.Second, func() bool {
		return strings.TrimSpace(docker(t, "exec", "zun-"+c.UUID, "cat", "/data/f")) == "before-reboot"
	})

	h.comp.kill9()
	docker(t, "stop", "-t", "1", "zun-"+c.UUID)
	mounts, loops, _ := h.leftovers()
	if len(mounts) != 1 || len(loops) != 1 {
		t.Fatalf("before the reboot: mounts %v, loops %v", mounts, loops)
	}
	if out, err := exec.Command("umount", mounts[0]).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v: %s", err, out)
	}
	if out, err := exec.Command("losetup", "-d", loops[0]).CombinedOutput(); err != nil {
		t.Fatalf("losetup -d: %v: %s", err, out)
	}
	waitFor(t, 10*time.Second, func() bool {
		m, l, _ := h.leftovers()
		return len(m)+len(l) == 0
	})

	h.restartAgent()
	waitFor(t, 30*time.Second, func() bool {
		m, l, _ := h.leftovers()
		return len(m) == 1 && len(l) == 1
	})
	a.WaitStatus(c.UUID, 30*time.Second, "Stopped")
	a.Do("POST", "/v1/containers/"+c.UUID+"/start", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Running")
	if got := strings.TrimSpace(docker(t, "exec", "zun-"+c.UUID, "cat", "/data/f")); got != "before-reboot" {
		t.Fatalf("after the reboot the container reads %q", got)
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?stop=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
	if m, l, f := h.leftovers(); len(m)+len(l)+len(f) != 0 {
		t.Fatalf("after delete: mounts %v, loops %v, files %v", m, l, f)
	}
}
