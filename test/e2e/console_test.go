package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// runInteractive starts a Running interactive sh container as admin.
func (a *aio) runInteractive(name string) container {
	a.t.Helper()
	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sh"},
		"name": name, "interactive": true, "tty": true}, 202, &c)
	return a.WaitStatus(c.UUID, 60*time.Second, "Running")
}

func (a *aio) goCLIEnv() []string {
	return append(a.openrcEnv(), "ZUN="+filepath.Join(binDir, "zun"))
}

// TestConsoleGoCLI drives our zun through tmux: run -i, typing, resize,
// ~. detach, then exec -i.
func TestConsoleGoCLI(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	tm := startTmux(t, a.goCLIEnv(), 120, 40)
	tm.typeLine("$ZUN run -i --name gocli busybox:1.35 sh")
	tm.waitFor("type ~. to disconnect", 60*time.Second)
	tm.typeLine("")
	tm.typeLine("echo answer-$((6*7))")
	tm.waitFor("answer-42", 10*time.Second)
	tm.typeLine("stty size")
	tm.waitFor("40 120", 10*time.Second)
	tm.resize(100, 30)
	time.Sleep(500 * time.Millisecond)
	tm.typeLine("stty size")
	tm.waitFor("30 100", 10*time.Second)
	tm.typeLine("")
	tm.typeText("~.")
	tm.waitFor("detached from", 10*time.Second)
	tm.backAtShell()
	var c container
	a.Do("GET", "/v1/containers/gocli", nil, 200, &c)
	if c.Status != "Running" {
		t.Fatalf("container %s after detach, want Running", c.Status)
	}

	tm.clearScreen()
	tm.typeLine("$ZUN exec -i gocli sh")
	tm.waitFor("type ~. to disconnect", 30*time.Second)
	tm.typeLine("echo exec-$((7*6)); stty size")
	tm.waitFor("exec-42", 10*time.Second)
	tm.waitFor("30 100", 10*time.Second)
	tm.resize(90, 25)
	time.Sleep(500 * time.Millisecond)
	tm.typeLine("stty size; exit")
	tm.waitFor("25 90", 10*time.Second)
	tm.backAtShell() // the exec ended
	a.Do("GET", "/v1/containers/gocli", nil, 200, &c)
	if c.Status != "Running" {
		t.Fatalf("container %s after exec, want Running", c.Status)
	}
}

// TestConsolePythonZunclient drives Debian's python3-zunclient through
// tmux: zun attach and zun exec --interactive.
func TestConsolePythonZunclient(t *testing.T) {
	requireDocker(t)
	requireTool(t, "zun")
	a := startAIO(t)
	a.runInteractive("pyattach")
	tm := startTmux(t, a.openrcEnv(), 120, 40)
	tm.typeLine("zun attach pyattach")
	tm.pyConnected()
	tm.typeLine("echo py-$((6*7))")
	tm.waitFor("py-42", 10*time.Second)
	tm.typeLine("stty size")
	tm.waitFor("40 120", 10*time.Second)
	tm.resize(100, 30)
	time.Sleep(time.Second)
	tm.typeLine("stty size")
	tm.waitFor("30 100", 10*time.Second)
	// python-zunclient's "~." never matches on Python 3 (it compares the
	// bytes read with a str), so its user leaves by ending the client;
	// either way the container keeps running.
	tm.killForeground()
	tm.backAtShell()
	if c := a.Get(a.uuidOf("pyattach")); c.Status != "Running" {
		t.Fatalf("container %s after the client left, want Running", c.Status)
	}

	tm.clearScreen()
	tm.typeLine("zun exec --interactive pyattach sh")
	tm.pyConnected()
	tm.typeLine("echo pyexec-$((7*6)); stty size")
	tm.waitFor("pyexec-42", 10*time.Second)
	tm.resize(90, 25)
	time.Sleep(time.Second)
	tm.typeLine("stty size; exit")
	tm.waitFor("25 90", 10*time.Second)
	tm.backAtShell()
}

func (a *aio) uuidOf(name string) string {
	var c container
	a.Do("GET", "/v1/containers/"+name, nil, 200, &c)
	return c.UUID
}

// dialWS opens a websocket as python-zunclient does, with origin.
func dialWS(t *testing.T, u, origin string) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{"binary", "base64"}})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return nil, resp.StatusCode
	}
	return c, http.StatusSwitchingProtocols
}

func ownOrigin(u string) string {
	p, _ := url.Parse(u)
	return "http://" + p.Host
}

// TestConsoleTokens: single use, expiry, binding to the container and
// its project, the Origin allowlist, session limits, sessions ending with
// the container, and no token in any log.
func TestConsoleTokens(t *testing.T) {
	requireDocker(t)
	a := startAIO(t, "--console-token-ttl", "3s", "--console-max-sessions-container", "1")
	alice := a.createMember("demo", "alice", "alice-secret-1")
	bob := a.createMember("other", "bob", "bob-secret-12")
	var ca, cb container
	a.DoAs(alice, "POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sh"}, "interactive": true, "tty": true, "name": "ta"}, 202, &ca)
	a.DoAs(bob, "POST", "/v1/containers?run=true", map[string]any{"image": "busybox:1.35", "command": []string{"sh"}, "interactive": true, "tty": true, "name": "tb"}, 202, &cb)
	a.WaitStatus(ca.UUID, 60*time.Second, "Running")
	a.WaitStatus(cb.UUID, 60*time.Second, "Running")
	var tokens []string
	attach := func(tok, uuid string) string {
		var u string
		a.DoAs(tok, "GET", "/v1/containers/"+uuid+"/attach", nil, 200, &u)
		q, _ := url.Parse(u)
		tokens = append(tokens, q.Query().Get("token"))
		if len(q.Query().Get("token")) < 43 {
			t.Fatalf("token of %d characters", len(q.Query().Get("token")))
		}
		return u
	}
	// Bob cannot even ask for alice's container.
	if st, _ := a.doRaw("GET", "/v1/containers/"+ca.UUID+"/attach", bob, "1.40", nil); st != 404 {
		t.Fatalf("bob attaching alice's container: %d", st)
	}

	// A foreign or missing Origin is refused and does not use the token.
	u := attach(alice, ca.UUID)
	for _, origin := range []string{"http://evil.example", "", "null"} {
		if _, st := dialWS(t, u, origin); st != 403 {
			t.Fatalf("origin %q: %d, want 403", origin, st)
		}
	}
	ws, st := dialWS(t, u, ownOrigin(u))
	if st != 101 {
		t.Fatalf("first use: %d", st)
	}
	ctx := context.Background()
	if err := ws.Write(ctx, websocket.MessageBinary, []byte("echo tok-$((6*7))\r")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, ws, "tok-42")
	// One session per container here: a second is 429.
	if _, st := dialWS(t, attach(alice, ca.UUID), ownOrigin(u)); st != 429 {
		t.Fatalf("second session: %d, want 429", st)
	}
	ws.Close(websocket.StatusNormalClosure, "")
	time.Sleep(300 * time.Millisecond)
	// Reused.
	if _, st := dialWS(t, u, ownOrigin(u)); st != 403 {
		t.Fatalf("reused token: %d, want 403", st)
	}
	// Expired.
	u2 := attach(alice, ca.UUID)
	time.Sleep(4 * time.Second)
	if _, st := dialWS(t, u2, ownOrigin(u2)); st != 403 {
		t.Fatalf("expired token: %d, want 403", st)
	}
	// Bob's token for bob's container, presented for alice's container
	// (another container, another project).
	ub := attach(bob, cb.UUID)
	swapped := strings.Replace(ub, cb.UUID, ca.UUID, 1)
	if _, st := dialWS(t, swapped, ownOrigin(ub)); st != 403 {
		t.Fatalf("token of another container: %d, want 403", st)
	}
	// A refusal carries no detail.
	resp, err := http.Get(strings.Replace(swapped, "ws://", "http://", 1))
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 256)
	n, _ := resp.Body.Read(body)
	resp.Body.Close()
	if resp.StatusCode != 403 || strings.TrimSpace(string(body[:n])) != "Forbidden" {
		t.Fatalf("refusal: %d %q", resp.StatusCode, body[:n])
	}

	// A session ends when its container stops.
	ws, st = dialWS(t, attach(alice, ca.UUID), ownOrigin(u))
	if st != 101 {
		t.Fatalf("session before stop: %d", st)
	}
	a.DoAs(alice, "POST", "/v1/containers/"+ca.UUID+"/stop?timeout=1", nil, 202, nil)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		if _, _, err := ws.Read(rctx); err != nil {
			if rctx.Err() != nil {
				t.Fatal("session still open 20 s after the container stopped")
			}
			break
		}
	}

	// No token anywhere in the logs.
	logs := a.Proc.Log()
	for _, tok := range tokens {
		if strings.Contains(logs, tok) {
			t.Fatalf("token found in the service log")
		}
	}
	if !regexp.MustCompile(`websocket request.*status=403`).MatchString(logs) {
		t.Fatal("refusals were not logged")
	}
}

func readUntil(t *testing.T, ws *websocket.Conn, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got strings.Builder
	for !strings.Contains(got.String(), want) {
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %q)", want, err, got.String())
		}
		got.Write(b)
	}
}

// TestConsoleProxyRestart: a standalone zun-wsproxy killed mid-session
// closes our client cleanly; started again, it serves new sessions.
func TestConsoleProxyRestart(t *testing.T) {
	requireDocker(t)
	dir := t.TempDir()
	natsAddr, proxyAddr := freePort(t), freePort(t)
	a := startAIOAt(t, dir, freePort(t), "--nats-listen", natsAddr, "--wsproxy-listen", "", "--wsproxy-url", "ws://"+proxyAddr+"/")
	pw, err := os.ReadFile(filepath.Join(dir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	proxyArgs := []string{"--nats-url", "nats://" + natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
		"--data-dir", dir, "--wsproxy-listen", proxyAddr}
	proxy := startProc(t, "zun-wsproxy", proxyArgs...)
	a.runInteractive("px")
	tm := startTmux(t, a.goCLIEnv(), 100, 30)
	tm.typeLine("$ZUN attach px; echo client-exit=$?")
	tm.waitFor("type ~. to disconnect", 30*time.Second)
	tm.typeLine("echo before-$((6*7))")
	tm.waitFor("before-42", 10*time.Second)
	proxy.kill9()
	tm.waitFor("client-exit=1", 10*time.Second)
	tm.waitFor("connection to the websocket proxy lost", time.Second)
	// The terminal is usable again (cooked mode): the shell echoes.
	tm.typeLine("echo back-$((2*3))")
	tm.waitFor("back-6", 5*time.Second)

	proxy = startProc(t, "zun-wsproxy", proxyArgs...)
	tm.clearScreen()
	tm.typeLine("$ZUN attach px")
	tm.waitFor("type ~. to disconnect", 30*time.Second)
	tm.typeLine("echo after-$((6*7))")
	tm.waitFor("after-42", 10*time.Second)
	tm.typeLine("")
	tm.typeText("~.")
	tm.waitFor("detached from", 10*time.Second)
	// A graceful stop of the proxy is logged, tokens never are.
	proxy.stop(15)
	if strings.Contains(proxy.Log(), "token=") {
		t.Fatal("the proxy logged a token")
	}
}

// pyConnected waits until python-zunclient is connected and its terminal
// raw (it flushes what was typed before), and a prompt is shown.
func (tm *tmuxTerm) pyConnected() {
	tm.t.Helper()
	tm.waitFor("type ~. to disconnect", 60*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(tm.capture(), "/ # ") {
		if time.Now().After(deadline) {
			tm.t.Fatalf("no prompt:\n%s", tm.capture())
		}
		tm.typeLine("")
		time.Sleep(time.Second)
	}
}
