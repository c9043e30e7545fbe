package e2e

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCapsuleHostPort: a hostPort in the node-port range is published on
// the host; a second capsule asking for the same port fails with the
// engine's reason and leaves nothing behind.
func TestCapsuleHostPort(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	port := 30000 + rand.IntN(2700)
	tpl := func(name string) map[string]any {
		web := shContainer("web", "mkdir -p /www && echo via-host-port > /www/index.html && exec httpd -f -p 8080 -h /www")
		web["ports"] = []any{map[string]any{"containerPort": 8080, "hostPort": port, "protocol": "TCP"}}
		return simpleTemplate(name, "Always", web)
	}
	var c capsule
	a.Do("POST", "/v1/capsules", map[string]any{"template": tpl("hp-one")}, 202, &c)
	c = a.WaitCapsule(c.UUID, 120*time.Second, "Running", "Error")
	if c.Status != "Running" {
		t.Fatalf("hp-one: %s %s", c.Status, deref(c.StatusReason))
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/index.html", port)
	waitFor(t, 60*time.Second, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b)) == "via-host-port"
	})
	var d capsule
	a.Do("POST", "/v1/capsules", map[string]any{"template": tpl("hp-two")}, 202, &d)
	d = a.WaitCapsule(d.UUID, 120*time.Second, "Running", "Error")
	if d.Status != "Error" || !strings.Contains(deref(d.StatusReason), "sandbox") {
		t.Fatalf("second capsule on the same hostPort: %s %s", d.Status, deref(d.StatusReason))
	}
	for _, id := range []string{c.UUID, d.UUID} {
		a.Do("DELETE", "/v1/capsules/"+id, nil, 204, nil)
		a.WaitCapsuleGone(id, 120*time.Second)
		if ctrs, vols := capsuleEngine(t, id); len(ctrs)+len(vols) != 0 {
			t.Errorf("capsule %s left %v %v", id, ctrs, vols)
		}
	}
}
