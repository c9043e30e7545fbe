package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestConsolePaused: what a pause does to interactive access. An open
// session survives a pause (the process is frozen, not gone; Docker keeps
// the stream) and works again after the unpause. A new session or exec on
// a paused container is 409 at once, also with a token granted while it
// ran and when the record has not seen the pause yet, never a session
// hanging until an unpause.
func TestConsolePaused(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	c := a.runInteractive("pz")
	attachURL := func() string {
		var u string
		a.Do("GET", "/v1/containers/pz/attach", nil, 200, &u)
		return u
	}
	execURL := func() string {
		var r struct {
			ProxyURL string `json:"proxy_url"`
		}
		a.Do("POST", "/v1/containers/pz/execute?run=false&interactive=true&command=sh", nil, 200, &r)
		return r.ProxyURL
	}
	u1 := attachURL()
	ws, st := dialWS(t, u1, ownOrigin(u1))
	if st != http.StatusSwitchingProtocols {
		t.Fatalf("attach: %d", st)
	}
	defer ws.CloseNow()
	send := func(s string) {
		t.Helper()
		if err := ws.Write(context.Background(), websocket.MessageBinary, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	send("echo one-$((1+1))\n")
	readUntil(t, ws, "one-2")

	// Tokens granted while Running, used after the pause.
	uAttach, uExec := attachURL(), execURL()
	a.Do("POST", "/v1/containers/pz/pause", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Paused")
	for name, u := range map[string]string{"attach": uAttach, "exec": uExec} {
		start := time.Now()
		if _, st := dialWS(t, u, ownOrigin(u)); st != http.StatusConflict {
			t.Fatalf("%s session on a paused container: %d, want 409", name, st)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s refused after %s", name, d)
		}
	}
	for _, q := range []string{"run=true&command=true", "run=false&interactive=true&command=sh"} {
		if st, b := a.doRaw("POST", "/v1/containers/pz/execute?"+q, a.admin, "1.40", nil); st != 409 {
			t.Fatalf("execute?%s on a paused container: %d %s", q, st, b)
		}
	}
	if st, b := a.doRaw("GET", "/v1/containers/pz/attach", a.admin, "1.40", nil); st != 409 {
		t.Fatalf("attach on a paused container: %d %s", st, b)
	}

	// The open session: typed while paused, answered after the unpause.
	send("echo two-$((1+1))\n")
	a.Do("POST", "/v1/containers/pz/unpause", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Running")
	readUntil(t, ws, "two-2")

	// Paused behind the record's back (the engine event not yet seen):
	// the engine's refusal is a 409 too, not a hang.
	uExec = execURL()
	docker(t, "pause", "zun-"+c.UUID)
	defer docker(t, "unpause", "zun-"+c.UUID)
	start := time.Now()
	if st, b := a.doRaw("POST", "/v1/containers/pz/execute?run=true&command=true", a.admin, "1.40", nil); st != 409 {
		t.Fatalf("exec into an engine-paused container: %d %s", st, b)
	}
	if _, st := dialWS(t, uExec, ownOrigin(uExec)); st != http.StatusConflict {
		t.Fatalf("exec session on an engine-paused container: %d, want 409", st)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("refused after %s", d)
	}
}
