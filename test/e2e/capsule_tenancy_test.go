package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestCapsuleTenancyAndVersions: another project's capsule is 404 (never
// 403); host is admin-only; the legacy format and synchronous delete
// before 1.32; a kept volume is reused by name only within its project.
func TestCapsuleTenancyAndVersions(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	alice := a.createMember("demo", "alice", "alice-secret-1")
	bob := a.createMember("other", "bob", "bob-secret-12")

	keep := simpleTemplate("keeper", "Always", shContainer("writer", "echo kept > /data/f; sleep 600"))
	keep["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["volumeMounts"] = []any{map[string]any{"name": "data", "mountPath": "/data"}}
	keep["spec"].(map[string]any)["volumes"] = []any{map[string]any{"name": "data", "cinder": map[string]any{"size": 1, "autoRemove": false}}}
	var c capsule
	a.DoAs(alice, "POST", "/v1/capsules", map[string]any{"template": keep}, 202, &c)
	c = a.WaitCapsule(c.UUID, 120*time.Second, "Running")
	kept := "zun-" + c.UUID + "-data"
	t.Cleanup(func() { _, _ = dockerTry("volume", "rm", "-f", kept) })

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
	var stolen capsule
	a.DoAs(bob, "POST", "/v1/capsules", map[string]any{"template": reuse("thief")}, 202, &stolen)
	stolen = a.WaitCapsule(stolen.UUID, 120*time.Second, "Error", "Running")
	if stolen.Status != "Error" || !strings.Contains(deref(stolen.StatusReason), "could not be found") {
		t.Errorf("another project's volume: %s %s", stolen.Status, deref(stolen.StatusReason))
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

	// Before 1.32 delete is synchronous: gone when it answers.
	for _, id := range []string{again.UUID, c.UUID} {
		if st, body := a.doRaw("DELETE", "/v1/capsules/"+id, alice, "1.31", nil); st != 204 {
			t.Fatalf("legacy delete: %d %s", st, body)
		}
		if st, _ := a.doRaw("GET", "/v1/capsules/"+id, alice, "1.40", nil); st != 404 {
			t.Errorf("capsule %s still there after a synchronous delete: %d", id, st)
		}
	}
	a.DoAs(bob, "DELETE", "/v1/capsules/"+stolen.UUID, nil, 204, nil)
	a.WaitCapsuleGone(stolen.UUID, 120*time.Second)
	// The kept volume outlives its capsules (autoRemove false, and an
	// existing volume is never removed by a capsule using it).
	if _, err := dockerTry("volume", "inspect", kept); err != nil {
		t.Errorf("kept volume removed: %v", err)
	}
}
