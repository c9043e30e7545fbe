package e2e

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// gatedProxy forwards TCP connections to a backend once opened; before,
// it holds them, and opening drops the held ones, so nothing they asked
// for ever arrives.
type gatedProxy struct {
	ln      net.Listener
	backend string
	mu      sync.Mutex
	open    bool
	held    []net.Conn
}

func startGatedProxy(t *testing.T, backend string) *gatedProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &gatedProxy{ln: ln, backend: backend}
	t.Cleanup(func() { _ = ln.Close(); p.Open() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if !p.open {
				p.held = append(p.held, c)
				p.mu.Unlock()
				continue
			}
			p.mu.Unlock()
			go p.forward(c)
		}
	}()
	return p
}

func (p *gatedProxy) Addr() string { return p.ln.Addr().String() }

// Held is the number of connections waiting at the gate.
func (p *gatedProxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.held)
}

// Open drops the held connections and forwards the next ones.
func (p *gatedProxy) Open() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = true
	for _, c := range p.held {
		_ = c.Close()
	}
	p.held = nil
}

func (p *gatedProxy) forward(c net.Conn) {
	defer c.Close()
	b, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

// TestRegistryCreateResumed kills the agent while it pulls from a private
// registry (htpasswd): the create its start-up reconcile resumes fetches
// the credential from the conductor and the container runs; the password
// is in no log.
func TestRegistryCreateResumed(t *testing.T) {
	reg := startRegistry(t)
	repo := "zun-resume-" + randSuffix() + ":v1"
	reg.push(t, repo)
	gate := startGatedProxy(t, reg.Addr)
	h := startVolumeHost(t)
	a := h.aio

	var r struct{ Registry struct{ UUID string } }
	st, body := a.doRaw("POST", "/v1/registries", a.admin, "1.40", map[string]any{"registry": map[string]any{
		"name": "gated", "domain": gate.Addr(), "username": reg.User, "password": reg.Password}})
	if st != 200 && st != 201 && st != 202 {
		t.Fatalf("registry create: %d %s", st, body)
	}
	_ = jsonUnmarshal(string(body), &r)
	t.Cleanup(func() { docker(t, "rmi", "-f", gate.Addr()+"/"+repo) })

	st, body = a.doRaw("POST", "/v1/containers?run=true", a.admin, "1.40", map[string]any{"image": repo, "registry": "gated",
		"name": "resumed", "command": []string{"sleep", "300"}})
	if st != 202 {
		t.Fatalf("create: %d %s", st, body)
	}
	var c container
	_ = jsonUnmarshal(string(body), &c)
	waitFor(t, 30*time.Second, func() bool { return gate.Held() > 0 })
	waitFor(t, 10*time.Second, func() bool { return deref(a.Get(c.UUID).TaskState) == "image_pulling" })
	h.comp.kill9()
	gate.Open() // the interrupted pull never completes

	h.restartAgent()
	got := a.WaitStatus(c.UUID, 90*time.Second, "Running", "Error")
	if got.Status != "Running" {
		t.Fatalf("resumed create: %s: %s\nagent log:\n%s", got.Status, deref(got.StatusReason), tail(h.comp.Log(), 30))
	}
	for name, log := range map[string]string{"zun-compute": h.comp.Log(), "zun-api": a.Proc.Log()} {
		if strings.Contains(log, reg.Password) {
			t.Fatalf("%s logged the registry password", name)
		}
	}
	for _, f := range []string{"zun.db", "zun.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(a.DataDir, f))
		if strings.Contains(string(b), reg.Password) {
			t.Fatalf("%s holds the registry password in clear", f)
		}
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
}
