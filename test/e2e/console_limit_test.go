package e2e

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConsoleUserLimitTwoProxies: two zun-wsproxy processes share each
// user's session limit through NATS: with a limit of 2, a session on each
// proxy leaves no room for a third on either (429); closing one frees a
// place on the other.
func TestConsoleUserLimitTwoProxies(t *testing.T) {
	requireDocker(t)
	dir := t.TempDir()
	natsAddr, proxyA, proxyB := freePort(t), freePort(t), freePort(t)
	a := startAIOAt(t, dir, freePort(t), "--nats-listen", natsAddr, "--wsproxy-listen", "", "--wsproxy-url", "ws://"+proxyA+"/")
	pw, err := os.ReadFile(filepath.Join(dir, "nats-password"))
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{proxyA, proxyB} {
		startProc(t, "zun-wsproxy", "--nats-url", "nats://"+natsAddr, "--nats-user", "zun", "--nats-password", strings.TrimSpace(string(pw)),
			"--data-dir", dir, "--wsproxy-listen", addr, "--console-max-sessions-user", "2")
	}
	a.runInteractive("lim")
	for _, addr := range []string{proxyA, proxyB} {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if c, err := net.Dial("tcp", addr); err == nil {
				_ = c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("zun-wsproxy on %s did not start", addr)
			}
		}
	}
	// A token works on any proxy: each asks the container's agent.
	attachOn := func(proxy string) (int, func()) {
		t.Helper()
		var u string
		a.Do("GET", "/v1/containers/lim/attach", nil, 200, &u)
		p, _ := url.Parse(u)
		p.Host = proxy
		ws, st := dialWS(t, p.String(), "http://"+proxy)
		if ws == nil {
			return st, func() {}
		}
		return st, func() { _ = ws.CloseNow() }
	}
	stA, closeA := attachOn(proxyA)
	stB, closeB := attachOn(proxyB)
	defer closeB()
	if stA != 101 || stB != 101 {
		t.Fatalf("a session on each proxy: %d %d", stA, stB)
	}
	for _, p := range []string{proxyA, proxyB} {
		if st, closeC := attachOn(p); st != http.StatusTooManyRequests {
			closeC()
			t.Fatalf("third session on %s: %d, want 429", p, st)
		}
	}
	closeA()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, closeC := attachOn(proxyB)
		closeC()
		if st == 101 {
			break
		}
		if st != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after closing a session: %d", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
