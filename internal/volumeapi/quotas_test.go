package volumeapi

import (
	"strings"
	"testing"
)

// TestVolumeQuotas drives Cinder's os-quota-sets: members read their own
// (with usage), only admins set them or read another project's (404 to
// members), bad bodies are 400, and a create over the limit is Cinder's
// 413 with nothing created.
func TestVolumeQuotas(t *testing.T) {
	e := newEnv(t)
	const a, adm = "/volume/v3/pa", "/volume/v3/padm"
	qs := e.do("alice", "GET", a+"/os-quota-sets/pa", "", 200)["quota_set"].(map[string]any)
	if qs["volumes"] != float64(10) || qs["gigabytes"] != float64(1000) || qs["id"] != "pa" {
		t.Fatalf("defaults %v", qs)
	}
	e.do("alice", "GET", a+"/os-quota-sets/pb", "", 404)
	e.do("alice", "PUT", a+"/os-quota-sets/pa", `{"quota_set":{"gigabytes":3}}`, 403)
	for _, bad := range []string{`{"quota_set":{"snapshots":3}}`, `{"quota_set":{"gigabytes":-2}}`,
		`{"quota_set":{"gigabytes":"x"}}`, `{"quota_set":{"gigabytes":1.5}}`, `{}`, `[`, `{"quota_set":{"volumes":2},"x":1}`} {
		e.do("admin", "PUT", adm+"/os-quota-sets/pa", bad, 400)
	}
	qs = e.do("admin", "PUT", adm+"/os-quota-sets/pa", `{"quota_set":{"gigabytes":3,"volumes":"5"}}`, 200)["quota_set"].(map[string]any)
	if qs["gigabytes"] != float64(3) || qs["volumes"] != float64(5) {
		t.Fatalf("after update %v", qs)
	}
	e.do("alice", "POST", a+"/volumes", `{"volume":{"size":2}}`, 202)
	out := e.do("alice", "POST", a+"/volumes", `{"volume":{"size":2,"name":"big"}}`, 413)
	msg, _ := out["overLimit"].(map[string]any)["message"].(string)
	if !strings.Contains(msg, "VolumeSizeExceedsAvailableQuota") || !strings.Contains(msg, "Requested 2G, quota is 3G and 2G has been consumed") {
		t.Fatalf("over quota: %v", out)
	}
	qs = e.do("alice", "GET", a+"/os-quota-sets/pa?usage=true", "", 200)["quota_set"].(map[string]any)
	g := qs["gigabytes"].(map[string]any)
	v := qs["volumes"].(map[string]any)
	if g["limit"] != float64(3) || g["in_use"] != float64(2) || v["in_use"] != float64(1) {
		t.Fatalf("usage %v", qs)
	}
	e.do("alice", "GET", a+"/os-quota-sets/pa?usage=maybe", "", 400)
	qs = e.do("admin", "GET", adm+"/os-quota-sets/pa", "", 200)["quota_set"].(map[string]any)
	if qs["gigabytes"] != float64(3) {
		t.Fatalf("admin reads another project's quota: %v", qs)
	}
	if d := e.do("bob", "GET", "/volume/v3/pb/os-quota-sets/pb/defaults", "", 200)["quota_set"].(map[string]any); d["gigabytes"] != float64(1000) {
		t.Fatalf("defaults %v", d)
	}
}
