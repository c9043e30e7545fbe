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
)

// BenchmarkContainerShow is GET /v1/containers/{uuid} through the whole
// API handler (token check, store read, view, JSON, access log to a
// discarding writer) of an all-in-one over the fake driver, as phase 3 of
// test/bench drives it over HTTP.
func BenchmarkContainerShow(b *testing.B) {
	cfg := config.Default()
	cfg.AllInOne = true
	cfg.DataDir = b.TempDir()
	cfg.Driver = "fake"
	cfg.Host = "fakehost"
	cfg.PublicURL = "http://127.0.0.1:1"
	cfg.AdminPassword = "secret-admin-pw"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := BuildAPI(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = RunAgentWith(ctx, cfg, a.Bus, fake.New(fake.Options{}), log) }()
	b.Cleanup(func() { cancel(); <-done; a.Close() })

	serve := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("OpenStack-API-Version", "container 1.40")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, req)
		return rec
	}
	rec := serve("POST", "/identity/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"secret-admin-pw"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}`)
	token := rec.Header().Get("X-Subject-Token")
	var uuid string
	deadline := time.Now().Add(10 * time.Second)
	for uuid == "" {
		rec = serve("POST", "/v1/containers", token, `{"image":"busybox","name":"bench-show","cpu":0.1,"memory":"16"}`)
		var v struct{ UUID string }
		_ = json.Unmarshal(rec.Body.Bytes(), &v)
		if rec.Code == http.StatusAccepted {
			uuid = v.UUID
		} else if time.Now().After(deadline) {
			b.Fatalf("create: %d %s", rec.Code, rec.Body)
		} else {
			time.Sleep(50 * time.Millisecond) // the agent registers its host
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := serve("GET", "/v1/containers/"+uuid, token, ""); rec.Code != http.StatusOK {
				b.Errorf("show: %d %s", rec.Code, rec.Body)
				return
			}
		}
	})
}
