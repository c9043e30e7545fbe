package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// volumeBase returns the path of the caller's volume API, as the catalog
// of its token gives it (the project substituted).
func (a *aio) volumeBase(token string) string {
	a.t.Helper()
	var cat struct {
		Catalog []struct {
			Type      string
			Endpoints []struct{ Interface, URL string }
		}
	}
	a.DoAs(token, "GET", "/identity/v3/auth/catalog", nil, 200, &cat)
	for _, s := range cat.Catalog {
		if s.Type == "volumev3" {
			u, err := url.Parse(s.Endpoints[0].URL)
			if err != nil {
				a.t.Fatal(err)
			}
			return u.Path
		}
	}
	a.t.Fatalf("no volumev3 in the catalog: %+v", cat)
	return ""
}

// mountsUnder lists the mount points under dir (/proc/self/mountinfo).
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}

// loopDevicesUnder lists the loop devices whose backing file is under dir.
func loopDevicesUnder(t *testing.T, dir string) []string {
	t.Helper()
	out, err := exec.Command("losetup", "--noheadings", "--output", "NAME,BACK-FILE", "--list").CombinedOutput()
	if err != nil {
		t.Fatalf("losetup: %v: %s", err, out)
	}
	var devs []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[1], dir+"/") {
			devs = append(devs, f[0])
		}
	}
	return devs
}

func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	return out
}

// TestVolumes drives local volumes end to end on real loop devices and
// Docker: data survives its container, size= volumes and injected files go
// with theirs, a full volume is ENOSPC inside the container, tenants are
// isolated, a kill -9 of zun-compute leaves the mounts in place, and
// deletes leave no loop device, mount or file behind.
func TestVolumes(t *testing.T) {
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
	host := uniqueHost()
	computeArgs := []string{"--nats-url", "nats://" + natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
		"--host", host, "--sync-interval", "3s", "--heartbeat-interval", "1s", "--data-dir", dir}
	comp := startProc(t, "zun-compute", computeArgs...)
	waitFor(t, 30*time.Second, func() bool {
		var l struct{ Hosts []struct{ Hostname string } }
		a.Do("GET", "/v1/hosts", nil, 200, &l)
		return len(l.Hosts) == 1
	})

	alice := a.createMember("vol-a", "alice", "alice-secret-1")
	bob := a.createMember("vol-b", "bob", "bob-secret-12")
	base, bobBase := a.volumeBase(alice), a.volumeBase(bob)

	var vol struct{ Volume struct{ ID, Status string } }
	a.DoAs(alice, "POST", base+"/volumes", map[string]any{"volume": map[string]any{"size": 1, "name": "data"}}, 202, &vol)
	id := vol.Volume.ID
	if vol.Volume.Status != "available" {
		t.Fatalf("new volume %+v", vol)
	}

	// Tenancy: bob sees nothing of alice's volume, by either URL.
	a.DoAs(bob, "GET", bobBase+"/volumes/"+id, nil, 404, nil)
	a.DoAs(bob, "GET", bobBase+"/volumes/data", nil, 404, nil)
	a.DoAs(bob, "DELETE", bobBase+"/volumes/"+id, nil, 404, nil)
	a.DoAs(bob, "GET", base+"/volumes/"+id, nil, 404, nil)
	a.DoAs(bob, "POST", "/v1/containers", map[string]any{"image": "busybox:1.35",
		"mounts": []any{map[string]any{"source": id, "destination": "/data"}}}, 404, nil)

	// Bad mounts and disk requests are refused before anything is made.
	for _, m := range []map[string]any{
		{"source": "data", "destination": "relative/path"},
		{"source": "data", "destination": "/x/../../etc"},
		{"source": "data", "destination": "/proc/1"},
		{"source": "data", "destination": "/sys/kernel"},
		{"source": "data", "destination": "/dev/sda"},
		{"source": "data", "destination": "/var/run/docker.sock"},
		{"source": "data", "destination": "/"},
		{"source": "data", "size": 1, "destination": "/d"},
		{"type": "bind", "source": "not base64!", "destination": "/etc/x"},
		{"type": "bind", "source": base64.StdEncoding.EncodeToString(make([]byte, 300<<10)), "destination": "/etc/x"},
		{"source": "data", "destination": "/d", "mode": "ro"},
	} {
		a.DoAs(alice, "POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "mounts": []any{m}}, 400, nil)
	}
	st, body := a.doRaw("POST", "/v1/containers", alice, "1.40", map[string]any{"image": "busybox:1.35", "disk": 1})
	if st != 400 || !strings.Contains(string(body), "does not support disk quota") {
		t.Fatalf("disk on a host without quota: %d %s", st, body)
	}
	var left struct{ Volumes []any }
	a.DoAs(alice, "GET", base+"/volumes/detail", nil, 200, &left)
	if len(left.Volumes) != 1 {
		t.Fatalf("refused creates left volumes: %+v", left)
	}

	// A writer fills the volume: data written, then ENOSPC inside.
	var w container
	a.DoAs(alice, "POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "name": "writer",
		"command": []string{"sh", "-c", "echo persisted > /data/f && sleep 600"},
		"mounts":  []any{map[string]any{"source": "data", "destination": "/data"}}}, 202, &w)
	a.WaitStatus(w.UUID, 90*time.Second, "Running")
	waitFor(t, 20*time.Second, func() bool {
		a.DoAs(alice, "GET", base+"/volumes/"+id, nil, 200, &vol)
		return vol.Volume.Status == "in-use"
	})
	out := docker(t, "exec", "zun-"+w.UUID, "sh", "-c", "dd if=/dev/zero of=/data/big bs=1M count=1100 2>&1; rm -f /data/big")
	if !strings.Contains(out, "No space left on device") {
		t.Fatalf("writing past the size: %s", out)
	}
	st, body = a.doRaw("DELETE", base+"/volumes/"+id, alice, "", nil)
	if st != 400 || !strings.Contains(string(body), "in-use") || !strings.Contains(string(body), "badRequest") {
		t.Fatalf("deleting an in-use volume: %d %s", st, body)
	}
	if m := mountsUnder(t, volDir); len(m) != 1 {
		t.Fatalf("mounts %v", m)
	}

	// kill -9 of the agent: the container keeps running with its volume
	// mounted, and a restarted agent keeps the one mount.
	comp.kill9()
	if s := strings.TrimSpace(docker(t, "inspect", "-f", "{{.State.Running}}", "zun-"+w.UUID)); s != "true" {
		t.Fatalf("container after kill -9 of the agent: running=%s", s)
	}
	if m := mountsUnder(t, volDir); len(m) != 1 {
		t.Fatalf("mounts after kill -9: %v", m)
	}
	comp = startProc(t, "zun-compute", computeArgs...)
	time.Sleep(4 * time.Second) // a start-up reconcile and a sync
	a.WaitStatus(w.UUID, 30*time.Second, "Running")
	if m, l := mountsUnder(t, volDir), loopDevicesUnder(t, volDir); len(m) != 1 || len(l) != 1 {
		t.Fatalf("after agent restart: mounts %v, loop devices %v", m, l)
	}

	// Delete the writer: the volume is available again, nothing attached.
	a.DoAs(alice, "DELETE", "/v1/containers/"+w.UUID+"?stop=true", nil, 204, nil)
	a.WaitGone(w.UUID, 60*time.Second)
	a.DoAs(alice, "GET", base+"/volumes/"+id, nil, 200, &vol)
	if vol.Volume.Status != "available" {
		t.Fatalf("volume after its container: %+v", vol)
	}
	if m, l := mountsUnder(t, volDir), loopDevicesUnder(t, volDir); len(m) != 0 || len(l) != 0 {
		t.Fatalf("after delete: mounts %v, loop devices %v", m, l)
	}

	// A reader on the same volume sees the data; it also gets a new
	// size= volume and an injected file.
	var r container
	a.DoAs(alice, "POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "name": "reader",
		"command": []string{"sleep", "600"},
		"mounts": []any{
			map[string]any{"source": id, "destination": "/data"},
			map[string]any{"size": "1", "destination": "/scratch"},
			map[string]any{"type": "bind", "source": base64.StdEncoding.EncodeToString([]byte("injected\n")), "destination": "/etc/injected.conf"},
		}}, 202, &r)
	a.WaitStatus(r.UUID, 90*time.Second, "Running")
	if got := docker(t, "exec", "zun-"+r.UUID, "cat", "/data/f", "/etc/injected.conf"); strings.TrimSpace(got) != "persisted\ninjected" {
		t.Fatalf("reader sees %q", got)
	}
	if got := docker(t, "exec", "zun-"+r.UUID, "sh", "-c", "touch /scratch/x && echo ok"); strings.TrimSpace(got) != "ok" {
		t.Fatalf("scratch volume: %q", got)
	}
	a.DoAs(alice, "GET", base+"/volumes/detail", nil, 200, &left)
	if len(left.Volumes) != 2 {
		t.Fatalf("volumes with the reader: %+v", left)
	}
	a.DoAs(alice, "DELETE", "/v1/containers/"+r.UUID+"?stop=true", nil, 204, nil)
	a.WaitGone(r.UUID, 60*time.Second)
	a.DoAs(alice, "GET", base+"/volumes/detail", nil, 200, &left)
	if len(left.Volumes) != 1 {
		t.Fatalf("the size= volume outlived its container: %+v", left)
	}
	if f := filesUnder(t, volDir); len(f) != 1 || f[0] != "images/"+id+".img" {
		t.Fatalf("files after the reader: %v", f)
	}

	// The named volume goes when deleted: record, file, nothing left.
	a.DoAs(alice, "DELETE", base+"/volumes/"+id, nil, 202, nil)
	waitFor(t, 30*time.Second, func() bool {
		st, _ := a.doRaw("GET", base+"/volumes/"+id, alice, "", nil)
		return st == 404
	})
	if m, l, f := mountsUnder(t, volDir), loopDevicesUnder(t, volDir), filesUnder(t, volDir); len(m)+len(l)+len(f) != 0 {
		t.Fatalf("left behind: mounts %v, loop devices %v, files %v", m, l, f)
	}
	_ = comp
}

// TestVolumeClients drives the volume API with Debian's clients through
// the catalog's volumev3 endpoint: openstack creates, lists, shows and
// deletes, cinder sets and shows the volume quotas and a create over them
// is Cinder's 413 (from openstack and from a size= mount, where nothing is
// created), and python-zunclient mounts with --mount.
func TestVolumeClients(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	requireTool(t, "cinder")
	requireTool(t, "zun")
	a := startAIO(t)
	volDir := filepath.Join(a.DataDir, "volumes")
	env := a.openrcEnv()
	a.cli(env, "openstack", "volume", "create", "--size", "1", "cli-vol")
	if out := a.cli(env, "openstack", "volume", "list", "-f", "value", "-c", "Name", "-c", "Status"); !strings.Contains(out, "cli-vol available") {
		t.Fatalf("openstack volume list:\n%s", out)
	}
	var shown map[string]any
	if err := json.Unmarshal([]byte(a.cli(env, "openstack", "volume", "show", "cli-vol", "-f", "json")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown["size"] != float64(1) || shown["status"] != "available" {
		t.Fatalf("openstack volume show: %v", shown)
	}

	// Quotas: 3 GiB for the admin project, 1 used.
	project := strings.TrimSpace(a.cli(env, "openstack", "project", "show", "admin", "-f", "value", "-c", "id"))
	if out := a.cli(env, "cinder", "quota-update", "--gigabytes", "3", "--volumes", "4", project); !strings.Contains(out, "| gigabytes ") {
		t.Fatalf("cinder quota-update:\n%s", out)
	}
	if out := a.cli(env, "cinder", "quota-usage", project); !regexpMatch(`\|\s*gigabytes\s*\|\s*1\s*\|\s*0\s*\|\s*3\s*\|`, out) {
		t.Fatalf("cinder quota-usage:\n%s", out)
	}
	cmd := exec.Command("openstack", "volume", "create", "--size", "3", "too-big")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "VolumeSizeExceedsAvailableQuota") || !strings.Contains(string(out), "HTTP 413") {
		t.Fatalf("create over the gigabytes quota: %v\n%s", err, out)
	}
	st, body := a.doRaw("POST", "/v1/containers", a.admin, "1.40", map[string]any{"image": "busybox:1.35",
		"mounts": []any{map[string]any{"size": 3, "destination": "/big"}}})
	if st != 403 || !strings.Contains(string(body), "VolumeSizeExceedsAvailableQuota") {
		t.Fatalf("size= mount over the quota: %d %s", st, body)
	}
	if out := a.cli(env, "openstack", "volume", "list", "-f", "value", "-c", "Name"); strings.TrimSpace(out) != "cli-vol" {
		t.Fatalf("refused creates left volumes:\n%s", out)
	}

	zenv := append(env, "OS_CONTAINER_API_VERSION=1.39")
	conf := filepath.Join(t.TempDir(), "app.conf")
	if err := os.WriteFile(conf, []byte("from-zunclient\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out2 := a.cli(zenv, "zun", "run", "--name", "pyvol", "--mount", "source=cli-vol,destination=/data",
		"--mount", "type=bind,source="+conf+",destination=/etc/app.conf", "busybox:1.35", "sleep", "600")
	u := uuidFromTable(t, out2)
	a.WaitStatus(u, 90*time.Second, "Running")
	if got := docker(t, "exec", "zun-"+u, "cat", "/etc/app.conf"); strings.TrimSpace(got) != "from-zunclient" {
		t.Fatalf("injected file: %q", got)
	}
	if out := a.cli(env, "openstack", "volume", "show", "cli-vol", "-f", "value", "-c", "status"); strings.TrimSpace(out) != "in-use" {
		t.Fatalf("status while mounted: %s", out)
	}
	a.cli(zenv, "zun", "delete", "--stop", u)
	a.WaitGone(u, 60*time.Second)
	a.cli(env, "openstack", "volume", "delete", "cli-vol")
	waitFor(t, 30*time.Second, func() bool {
		return !strings.Contains(a.cli(env, "openstack", "volume", "list", "-f", "value"), "cli-vol")
	})
	waitFor(t, 10*time.Second, func() bool {
		return len(mountsUnder(t, volDir))+len(loopDevicesUnder(t, volDir))+len(filesUnder(t, volDir)) == 0
	})
}

// cleanupVolumes returns the volume directory of an all-in-one's data dir
// and, at cleanup, unmounts and frees whatever a failure left there.
func cleanupVolumes(t *testing.T, dataDir string) string {
	t.Helper()
	volDir := filepath.Join(dataDir, "volumes")
	t.Cleanup(func() {
		for _, m := range mountsUnder(t, volDir) {
			_ = exec.Command("umount", "-l", m).Run()
		}
		for _, d := range loopDevicesUnder(t, volDir) {
			_ = exec.Command("losetup", "-d", d).Run()
		}
	})
	return volDir
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
