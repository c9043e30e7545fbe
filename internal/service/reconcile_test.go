package service

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/container/fake"
	"github.com/openzun/zun/internal/model"
)

// stack is an in-process all-in-one over the fake driver.
type stack struct {
	t     *testing.T
	url   string
	token string
	drv   *fake.Driver
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	cfg := config.Default()
	cfg.AllInOne = true
	cfg.DataDir = t.TempDir()
	cfg.Driver = "fake"
	cfg.Host = "fakehost"
	cfg.SyncInterval = time.Hour // reconciles come from kicks and restarts here
	cfg.PublicURL = "http://" + ts.Listener.Addr().String()
	cfg.AdminPassword = "secret-admin-pw"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := BuildAPI(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = a.Handler
	ts.Start()
	drv := fake.New(fake.Options{})
	done := make(chan struct{})
	go func() { defer close(done); _ = RunAgentWith(ctx, cfg, a.Bus, drv, log) }()
	t.Cleanup(func() { cancel(); <-done; ts.Close(); a.Close() })
	s := &stack{t: t, url: ts.URL, drv: drv}
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"secret-admin-pw"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}`
	resp, err := http.Post(ts.URL+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.token = resp.Header.Get("X-Subject-Token")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var l struct{ Hosts []any }
		if s.do("GET", "/v1/hosts", "", &l) == 200 && len(l.Hosts) == 1 {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("agent did not register")
	return nil
}

func (s *stack) do(method, path, body string, out any) int {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("X-Auth-Token", s.token)
	req.Header.Set("OpenStack-API-Version", "container 1.40")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

type view struct {
	UUID         string  `json:"uuid"`
	Status       string  `json:"status"`
	StatusReason *string `json:"status_reason"`
	TaskState    *string `json:"task_state"`
}

func (s *stack) create(body string) view {
	s.t.Helper()
	var v view
	if st := s.do("POST", "/v1/containers?run=true", body, &v); st != 202 {
		s.t.Fatalf("create: %d", st)
	}
	return s.wait(v.UUID, func(v view) bool { return v.Status == "Running" && v.TaskState == nil })
}

func (s *stack) wait(uuid string, cond func(view) bool) view {
	s.t.Helper()
	var v view
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st := s.do("GET", "/v1/containers/"+uuid, "", &v)
		if st == 404 {
			v = view{Status: "gone"}
		}
		if cond(v) {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("container %s: last %+v", uuid, v)
	return v
}

// TestReconcileMissingContainers applies Zun's rules to records whose
// engine container vanished: auto_remove deletes the record, auto_heal
// really rebuilds, anything else becomes Error "No such container".
func TestReconcileMissingContainers(t *testing.T) {
	s := startStack(t)
	plain := s.create(`{"image":"busybox","name":"plain"}`)
	heal := s.create(`{"image":"busybox","name":"heal","auto_heal":true}`)
	rm := s.create(`{"image":"busybox","name":"rm","auto_remove":true}`)

	for _, u := range []string{plain.UUID, heal.UUID, rm.UUID} {
		if err := s.drv.Delete(context.Background(), &model.Container{UUID: u}, true); err != nil {
			t.Fatal(err)
		}
	}
	s.wait(plain.UUID, func(v view) bool {
		return v.Status == "Error" && v.StatusReason != nil && *v.StatusReason == "No such container"
	})
	// The record still says Running until the reconcile notices, so wait
	// for the engine container to come back before checking the record.
	var healErr error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, healErr = s.drv.Inspect(context.Background(), &model.Container{UUID: heal.UUID}); healErr == nil {
			break
		}
	}
	if healErr != nil {
		t.Fatalf("auto_heal did not recreate the engine container: %v", healErr)
	}
	s.wait(heal.UUID, func(v view) bool { return v.Status == "Running" && v.TaskState == nil })
	s.wait(rm.UUID, func(v view) bool { return v.Status == "gone" })
}

// TestOrphanEngineContainerRemoved removes an engine container that has no
// record (for example left by a crash after the record was deleted).
func TestOrphanEngineContainerRemoved(t *testing.T) {
	s := startStack(t)
	orphan := &model.Container{UUID: "00000000-0000-4000-8000-000000000001", Image: "busybox"}
	if _, err := s.drv.Create(context.Background(), orphan); err != nil {
		t.Fatal(err)
	}
	// A create of a real container kicks no reconcile; a vanished one does.
	v := s.create(`{"image":"busybox","name":"kick"}`)
	_ = s.drv.Delete(context.Background(), &model.Container{UUID: v.UUID}, true)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := s.drv.Inspect(context.Background(), orphan); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("orphan engine container was not removed")
}

// TestCreateFailureHasReason ends a create the engine refuses in Error
// with the reason, and the claim stays accounted until delete.
func TestCreateFailureHasReason(t *testing.T) {
	s := startStack(t)
	var v view
	if st := s.do("POST", "/v1/containers?run=true", `{"image":"missing/nothing","name":"nope"}`, &v); st != 202 {
		t.Fatalf("create: %d", st)
	}
	v = s.wait(v.UUID, func(v view) bool { return v.Status == "Error" && v.TaskState == nil })
	if v.StatusReason == nil || !strings.Contains(*v.StatusReason, "missing/nothing") {
		t.Errorf("reason: %v", v.StatusReason)
	}
	if st := s.do("DELETE", "/v1/containers/"+v.UUID, "", nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	s.wait(v.UUID, func(v view) bool { return v.Status == "gone" })
	var h struct {
		Hosts []struct {
			MemUsed int64 `json:"mem_used"`
		} `json:"hosts"`
	}
	s.do("GET", "/v1/hosts", "", &h)
	if h.Hosts[0].MemUsed != 0 {
		t.Errorf("mem_used after delete: %d", h.Hosts[0].MemUsed)
	}
}
