package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// capsuleVolume is the subset of a Cinder volume tests read.
type capsuleVolume struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Attachments []struct {
		ServerID string `json:"server_id"`
	} `json:"attachments"`
}

// volumeTemplate is a capsule whose init container writes into a new
// volume and an existing one; app-a and app-b mount both, app-b the
// existing one read-only.
func volumeTemplate(name, existing string) map[string]any {
	mount := func(vol, path string, ro bool) map[string]any {
		return map[string]any{"name": vol, "mountPath": path, "readOnly": ro}
	}
	init := shContainer("init", "echo from-init > /new/f && echo kept-data > /keep/f")
	init["volumeMounts"] = []any{mount("fresh", "/new", false), mount("kept", "/keep", false)}
	a := shContainer("app-a", "exec sleep 3600")
	a["volumeMounts"] = []any{mount("fresh", "/new", false), mount("kept", "/keep", false)}
	b := shContainer("app-b", "exec sleep 3600")
	b["volumeMounts"] = []any{mount("fresh", "/shared", false), mount("kept", "/ro", true)}
	tpl := simpleTemplate(name, "Always", a, b)
	spec := tpl["spec"].(map[string]any)
	spec["initContainers"] = []any{init}
	spec["volumes"] = []any{
		map[string]any{"name": "fresh", "cinder": map[string]any{"size": 1}},
		map[string]any{"name": "kept", "cinder": map[string]any{"volumeID": existing}},
	}
	return tpl
}

// TestCapsuleVolumes: capsule volumes are the volume service's loop-device
// volumes. A new one is created for the capsule and goes with it, an
// existing one of the caller is reserved (another project's is unknown, a
// used one is 409), in use while the capsule runs, kept with its data
// after it; init and app containers share them; the volumes are mounted
// again when the agent restarts after the host lost its mounts; a kill -9
// of the agent during the delete leaves no container, mount or loop
// device; a capsule that cannot be placed gives its volumes back; a later
// capsule lands on the volume's host.
func TestCapsuleVolumes(t *testing.T) {
	requireDocker(t)
	requireTool(t, "losetup")
	requireTool(t, "mkfs.ext4")
	dir := t.TempDir()
	natsAddr := freePort(t)
	a := startAIOAt(t, dir, freePort(t), "--embedded-compute=false", "--nats-listen", natsAddr)
	pw, err := os.ReadFile(filepath.Join(dir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	// Two hosts, so placement on the volume's host is a choice.
	hosts := []string{uniqueHost(), uniqueHost()}
	// Each agent has its own data directory, as on separate machines; the
	// checks below look at the volume directories of both.
	var volDirs []string
	for _, h := range hosts {
		cleanupHost(t, h)
		volDirs = append(volDirs, cleanupVolumes(t, filepath.Join(dir, h)))
	}
	under := func(list func(*testing.T, string) []string) []string {
		var out []string
		for _, d := range volDirs {
			out = append(out, list(t, d)...)
		}
		return out
	}
	args := map[string][]string{}
	comps := map[string]*proc{}
	for _, h := range hosts {
		args[h] = []string{"--nats-url", "nats://" + natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
			"--host", h, "--sync-interval", "3s", "--heartbeat-interval", "1s", "--data-dir", filepath.Join(dir, h)}
		comps[h] = startProc(t, "zun-compute", args[h]...)
	}
	waitFor(t, 60*time.Second, func() bool {
		var l struct{ Hosts []struct{ Hostname string } }
		a.Do("GET", "/v1/hosts", nil, 200, &l)
		return len(l.Hosts) == 2
	})
	alice := a.createMember("cv-a", "alice", "alice-secret-1")
	bob := a.createMember("cv-b", "bob", "bob-secret-12")
	base := a.volumeBase(alice)
	var vol struct{ Volume capsuleVolume }
	a.DoAs(alice, "POST", base+"/volumes", map[string]any{"volume": map[string]any{"size": 1, "name": "keep"}}, 202, &vol)
	keep := vol.Volume.ID
	aliceVolumes := func() []capsuleVolume {
		var l struct{ Volumes []capsuleVolume }
		a.DoAs(alice, "GET", base+"/volumes/detail", nil, 200, &l)
		return l.Volumes
	}

	// Another project's volume is unknown: 400 naming the field, nothing made.
	st, body := a.doRaw("POST", "/v1/capsules", bob, "1.40", map[string]any{"template": volumeTemplate("stolen", keep)})
	if st != 400 || !strings.Contains(string(body), "template.spec.volumes[1].cinder.volumeID") {
		t.Fatalf("capsule with another project's volume: %d %s", st, body)
	}
	if vs := aliceVolumes(); len(vs) != 1 || vs[0].Status != "available" {
		t.Fatalf("volumes after a refused capsule: %+v", vs)
	}

	var c capsule
	a.DoAs(alice, "POST", "/v1/capsules", map[string]any{"template": volumeTemplate("vc", "keep")}, 202, &c)
	c = a.WaitCapsule(c.UUID, 120*time.Second, "Running", "Error")
	if c.Status != "Running" {
		t.Fatalf("capsule %s: %s", c.Status, deref(c.StatusReason))
	}
	ma, mb := "zun-"+memberUUID(c, "app-a"), "zun-"+memberUUID(c, "app-b")
	// Init and apps share both volumes, at their own paths.
	if got := docker(t, "exec", mb, "cat", "/shared/f", "/ro/f"); got != "from-init\nkept-data" {
		t.Fatalf("b reads %q", got)
	}
	docker(t, "exec", ma, "sh", "-c", "echo from-a > /new/g")
	if got := docker(t, "exec", mb, "cat", "/shared/g"); got != "from-a" {
		t.Fatalf("b reads a's file as %q", got)
	}
	if _, err := dockerTry("exec", mb, "touch", "/ro/x"); err == nil {
		t.Fatal("b wrote to its read-only mount")
	}
	waitFor(t, 20*time.Second, func() bool {
		vs := aliceVolumes()
		for _, v := range vs {
			if v.Status != "in-use" || len(v.Attachments) != 1 || v.Attachments[0].ServerID != c.UUID {
				return false
			}
		}
		return len(vs) == 2
	})
	if _, vols := capsuleEngine(t, c.UUID); len(vols) != 0 {
		t.Fatalf("engine volumes %v: capsule volumes are the volume service's", vols)
	}
	if m, l := under(mountsUnder), under(loopDevicesUnder); len(m) != 2 || len(l) != 2 {
		t.Fatalf("mounts %v, loop devices %v; want 2 each", m, l)
	}
	// An in-use volume cannot go to a second capsule.
	st, body = a.doRaw("POST", "/v1/capsules", alice, "1.40", map[string]any{"template": volumeTemplate("vc2", keep)})
	if st != 409 || !strings.Contains(string(body), "in-use") {
		t.Fatalf("second capsule on an in-use volume: %d %s", st, body)
	}
	if st, _ := a.doRaw("GET", "/v1/capsules/vc2", alice, "1.40", nil); st != 404 {
		t.Fatalf("refused capsule exists: %d", st)
	}
	if vs := aliceVolumes(); len(vs) != 2 {
		t.Fatalf("the refused capsule left a volume: %+v", vs)
	}

	// The host loses its mounts while the agent is down (a reboot): the
	// restarted agent mounts them again and the capsule runs on its data.
	host := deref(a.GetCapsule(c.UUID).Host)
	comps[host].kill9()
	<-comps[host].done
	for _, n := range append([]string{"zun-" + c.UUID}, ma, mb) {
		docker(t, "stop", "-t", "1", n)
	}
	for _, m := range under(mountsUnder) {
		if out, err := exec.Command("umount", m).CombinedOutput(); err != nil {
			t.Fatalf("umount %s: %v %s", m, err, out)
		}
	}
	for _, d := range under(loopDevicesUnder) {
		if out, err := exec.Command("losetup", "-d", d).CombinedOutput(); err != nil {
			t.Fatalf("losetup -d %s: %v %s", d, err, out)
		}
	}
	comps[host] = startProc(t, "zun-compute", args[host]...)
	waitFor(t, 90*time.Second, func() bool {
		out, err := dockerTry("exec", mb, "cat", "/shared/f", "/shared/g", "/ro/f")
		return err == nil && out == "from-init\nfrom-a\nkept-data\n" && a.GetCapsule(c.UUID).Status == "Running"
	})
	if m, l := under(mountsUnder), under(loopDevicesUnder); len(m) != 2 || len(l) != 2 {
		t.Fatalf("after the agent restart: mounts %v, loop devices %v", m, l)
	}

	// kill -9 of the agent while it deletes (once the first container is
	// gone): the next one finishes.
	before, _ := capsuleEngine(t, c.UUID)
	a.DoAs(alice, "DELETE", "/v1/capsules/"+c.UUID, nil, 204, nil)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if now, _ := capsuleEngine(t, c.UUID); len(now) < len(before) {
			break
		}
	}
	comps[host].kill9()
	<-comps[host].done
	comps[host] = startProc(t, "zun-compute", args[host]...)
	a.WaitCapsuleGone(c.UUID, 90*time.Second)
	if ctrs, _ := capsuleEngine(t, c.UUID); len(ctrs) != 0 {
		t.Fatalf("containers left: %v", ctrs)
	}
	if m, l, f := under(mountsUnder), under(loopDevicesUnder), under(filesUnder); len(m)+len(l) != 0 || len(f) != 1 || f[0] != "images/"+keep+".img" {
		t.Fatalf("after delete: mounts %v, loop devices %v, files %v; want only the kept volume's file", m, l, f)
	}
	if vs := aliceVolumes(); len(vs) != 1 || vs[0].ID != keep || vs[0].Status != "available" || len(vs[0].Attachments) != 0 {
		t.Fatalf("volumes after the capsule: %+v", vs)
	}
	volHost := host // where the volume's file is

	// A capsule that cannot be placed gives the volume back at once.
	bad := volumeTemplate("nowhere", keep)
	bad["availabilityZone"] = "no-such-zone"
	// Even a volume it would have kept: it never ran, nothing is in it.
	bad["spec"].(map[string]any)["volumes"].([]any)[0].(map[string]any)["cinder"] = map[string]any{"size": 1, "autoRemove": false}
	var nc capsule
	a.DoAs(alice, "POST", "/v1/capsules", map[string]any{"template": bad}, 202, &nc)
	if nc = a.GetCapsule(nc.UUID); nc.Status != "Error" {
		t.Fatalf("unplaceable capsule: %s", nc.Status)
	}
	if vs := aliceVolumes(); len(vs) != 1 || vs[0].Status != "available" {
		t.Fatalf("volumes after a failed capsule: %+v", vs)
	}
	a.DoAs(alice, "DELETE", "/v1/capsules/"+nc.UUID, nil, 204, nil)

	// The next capsule on the volume goes to the volume's host, and still
	// finds the data.
	for i := 0; i < 2; i++ {
		var again capsule
		a.DoAs(alice, "POST", "/v1/capsules", map[string]any{"template": volumeTemplate("again", keep)}, 202, &again)
		again = a.WaitCapsule(again.UUID, 120*time.Second, "Running", "Error")
		if again.Status != "Running" || deref(again.Host) != volHost {
			t.Fatalf("capsule on the kept volume: %s (%s) on %q, volume on %q", again.Status, deref(again.StatusReason), deref(again.Host), volHost)
		}
		if got := docker(t, "exec", "zun-"+memberUUID(again, "app-b"), "cat", "/ro/f"); got != "kept-data" {
			t.Fatalf("kept data reads %q", got)
		}
		a.DoAs(alice, "DELETE", "/v1/capsules/"+again.UUID, nil, 204, nil)
		a.WaitCapsuleGone(again.UUID, 60*time.Second)
	}
	a.DoAs(alice, "DELETE", base+"/volumes/"+keep, nil, 202, nil)
	waitFor(t, 30*time.Second, func() bool { return len(aliceVolumes()) == 0 })
	if m, l, f := under(mountsUnder), under(loopDevicesUnder), under(filesUnder); len(m)+len(l)+len(f) != 0 {
		t.Fatalf("left behind: mounts %v, loop devices %v, files %v", m, l, f)
	}
}
