package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestCapsuleTenancyAndVersions: another project's capsule is 404 (never
// 403); host is admin-only; the legacy format and synchronous delete
// before 1.32; a kept volume (autoRemove false) outlives its capsule and
// is reused by id only within its project, once no capsule uses it.
func TestCapsuleTenancyAndVersions(t *testing.T) {
	requireDocker(t)
	requireTool(t, "losetup")
	a := startAIO(t)
	volDir := cleanupVolumes(t, a.DataDir)
	cleanupHost(t, hostOf(a))
	alice := a.createMember("demo", "alice", "alice-secret-1")
	bob := a.createMember("other", "bob", "bob-secret-12")

	keep := simpleTemplate("keeper", "Always", shContainer("writer", "echo kept > /data/f; sleep 600"))
	keep["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["volumeMounts"] = []any{map[string]any{"name": "data", "mountPath": "/data"}}
	keep["spec"].(map[string]any)["volumes"] = []any{map[string]any{"name": "data", "cinder": map[string]any{"size": 1, "autoRemove": false}}}
	var c capsule
	a.DoAs(alice, "POST", "/v1/capsules", map[string]any{"template": keep}, 202, &c)
	c = a.WaitCapsule(c.UUID, 120*time.Second, "Running")
	base := a.volumeBase(alice)
	var vols struct{ Volumes []capsuleVolume }
	a.DoAs(alice, "GET", base+"/volumes/detail", nil, 200, &vols)
	if len(vols.Volumes) != 1 {
		t.Fatalf("alice's volumes with the keeper: %+v", vols)
	}
	kept := vols.Volumes[0].ID

	st, body := a.doRaw("GET", "/v1/capsules/"+c.UUID, alice, "1.40", nil)
	if st != 200 || strings.Contains(string(body), `"host"`) {
		t.Errorf("member view shows host: %d %s", st, body)
	}
	for _, ref := range []string{c.UUID, "keeper"} {
		for _, m := range []string{"GET", "DELETE"} {
			if st, body := a.doRaw(m, "/v1/capsules/"+ref, bob, "1.40", nil); st != 404 {
				t.Errorf("bob %s %s: %d %s", m, ref, st, body)
			}
		}
	}
	if st, body := a.doRaw("GET", "/v1/capsules", bob, "1.40", nil); st != 200 || strings.Contains(string(body), c.UUID) {
		t.Errorf("bob's list: %d %s", st, body)
	}
	if st, _ := a.doRaw("GET", "/v1/capsules?all_projects=true", bob, "1.40", nil); st != 403 {
		t.Errorf("bob all_projects: %d", st)
	}
	if st, body := a.doRaw("GET", "/v1/capsules?all_projects=true", a.admin, "1.40", nil); st != 200 || !strings.Contains(string(body), c.UUID) || !strings.Contains(string(body), `"host"`) {
		t.Errorf("admin all_projects: %d %s", st, body)
	}

	// Legacy format.
	st, body = a.doRaw("GET", "/v1/capsules/"+c.UUID, alice, "1.31", nil)
	var legacy map[string]any
	mustJSON(t, body, &legacy)
	if st != 200 || legacy["meta_name"] != "keeper" || legacy["restart_policy"] != "always" || legacy["capsule_version"] != "" ||
		legacy["volumes_info"] == nil || legacy["name"] != nil || legacy["containers_uuids"] == nil {
		t.Errorf("legacy view: %d %s", st, body)
	}

	// The kept volume can be used by name in its project, not in another.
	reuse := func(name string) map[string]any {
		tpl := simpleTemplate(name, "Never", shContainer("reader", "cat /data/f; sleep 600"))
		tpl["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["volumeMounts"] = []any{map[string]any{"name": "data", "mountPath": "/data"}}
		tpl["spec"].(map[string]any)["volumes"] = []any{map[string]any{"name": "data", "cinder": map[string]any{"volumeID": kept}}}
		return tpl
	}
	if st, body := a.doRaw("POST", "/v1/capsules", bob, "1.40", map[string]any{"template": reuse("thief")}); st != 400 || !strings.Contains(string(body), "could not be found") {
		t.Errorf("another project's volume: %d %s", st, body)
	}
	if st, body := a.doRaw("POST", "/v1/capsules", alice, "1.40", map[string]any{"template": reuse("early")}); st != 409 {
		t.Errorf("a volume its capsule still uses: %d %s", st, body)
	}
	// Before 1.32 delete is synchronous: gone when it answers.
	if st, body := a.doRaw("DELETE", "/v1/capsules/"+c.UUID, alice, "1.31", nil); st != 204 {
		t.Fatalf("legacy delete: %d %s", st, body)
	}
	if st, _ := a.doRaw("GET", "/v1/capsules/"+c.UUID, alice, "1.40", nil); st != 404 {
		t.Errorf("capsule %s still there after a synchronous delete: %d", c.UUID, st)
	}
	var again capsule
	a.DoAs(alice, "POST", "/v1/capsules", map[string]any{"template": reuse("reuser")}, 202, &again)
	again = a.WaitCapsule(again.UUID, 120*time.Second, "Running", "Error")
	if again.Status != "Running" {
		t.Fatalf("reuse: %s %s", again.Status, deref(again.StatusReason))
	}
	waitFor(t, 60*time.Second, func() bool {
		out, _ := dockerTry("logs", "zun-"+again.Containers[0].UUID)
		return strings.Contains(out, "kept")
	})
	a.DoAs(alice, "DELETE", "/v1/capsules/"+again.UUID, nil, 204, nil)
	a.WaitCapsuleGone(again.UUID, 120*time.Second)
	// The kept volume outlives its capsules (autoRemove false, and an
	// existing volume is never removed by a capsule using it).
	a.DoAs(alice, "GET", base+"/volumes/detail", nil, 200, &vols)
	if len(vols.Volumes) != 1 || vols.Volumes[0].ID != kept || vols.Volumes[0].Status != "available" {
		t.Errorf("kept volume after its capsules: %+v", vols)
	}
	if m := mountsUnder(t, volDir); len(m) != 0 {
		t.Errorf("mounts left: %v", m)
	}
	a.DoAs(alice, "DELETE", base+"/volumes/"+kept, nil, 202, nil)
	waitFor(t, 30*time.Second, func() bool {
		a.DoAs(alice, "GET", base+"/volumes/detail", nil, 200, &vols)
		return len(vols.Volumes) == 0
	})
}
