package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// createWithKey posts a create with an Idempotency-Key and returns the
// status and the container's uuid (empty when none came back).
func createWithKey(a *aio, key string, body map[string]any) (int, string) {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", a.URL+"/v1/containers?run=true", bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", a.admin)
	req.Header.Set("OpenStack-API-Version", "container 1.40")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var c container
	_ = json.Unmarshal(b, &c)
	return resp.StatusCode, c.UUID
}

// labelled lists the uuids of the containers carrying label run=value.
func labelled(a *aio, value string) []string {
	var l struct{ Containers []container }
	a.Do("GET", "/v1/containers", nil, 200, &l)
	var out []string
	for _, c := range l.Containers {
		if c.Labels["run"] == value {
			out = append(out, c.UUID)
		}
	}
	return out
}

// TestIdempotentCreate (hardening F.27): concurrent identical creates with
// one key make one container; the key with another body is 409; a create
// whose API was killed before it answered, retried with its key after the
// restart, leaves exactly one container.
func TestIdempotentCreate(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	body := map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "memory": "32",
		"labels": map[string]string{"run": "concurrent"}}
	const n = 8
	var wg sync.WaitGroup
	uuids := make([]string, n)
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i], uuids[i] = createWithKey(a, "key-concurrent", body) }()
	}
	wg.Wait()
	for i := range n {
		if codes[i] != 202 || uuids[i] != uuids[0] || uuids[0] == "" {
			t.Fatalf("request %d: %d %q, first %q", i, codes[i], uuids[i], uuids[0])
		}
	}
	if got := labelled(a, "concurrent"); len(got) != 1 {
		t.Fatalf("containers made by %d identical requests: %v", n, got)
	}
	other := map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "601"}, "memory": "32"}
	if code, _ := createWithKey(a, "key-concurrent", other); code != 409 {
		t.Errorf("same key, other body: %d, want 409", code)
	}
	if code, _ := createWithKey(a, "bad key with spaces", body); code != 400 {
		t.Errorf("key with spaces: %d, want 400", code)
	}
	a.WaitStatus(uuids[0], 60*time.Second, "Running")

	// The API dies right after accepting; the client retries after the
	// restart with the same key.
	for i, delay := range []time.Duration{0, 5 * time.Millisecond, 30 * time.Millisecond} {
		run := fmt.Sprintf("killed-%d", i)
		b := map[string]any{"image": "busybox:1.35", "command": []string{"sleep", "600"}, "memory": "32",
			"labels": map[string]string{"run": run}}
		key := "key-" + run
		done := make(chan struct{})
		go func() { defer close(done); createWithKey(a, key, b) }()
		time.Sleep(delay)
		a.Proc.kill9()
		<-done
		a.Restart()
		code, uuid := createWithKey(a, key, b)
		if code != 202 || uuid == "" {
			t.Fatalf("retry %d after the restart: %d", i, code)
		}
		if got := labelled(a, run); len(got) != 1 || got[0] != uuid {
			t.Fatalf("retry %d: containers %v, answer %s", i, got, uuid)
		}
		c := a.WaitStatus(uuid, 90*time.Second, "Running", "Error")
		t.Logf("retry %d (kill after %v): %s %s", i, delay, c.Status, deref(c.StatusReason))
	}
	for _, run := range []string{"concurrent", "killed-0", "killed-1", "killed-2"} {
		for _, u := range labelled(a, run) {
			a.Do("DELETE", "/v1/containers/"+u+"?force=true", nil, 204, nil)
			a.WaitGone(u, 60*time.Second)
		}
	}
	// A key is free again once its container is gone.
	if code, uuid := createWithKey(a, "key-concurrent", body); code != 202 || uuid == uuids[0] {
		t.Errorf("key reused after delete: %d %s", code, uuid)
	} else {
		a.Do("DELETE", "/v1/containers/"+uuid+"?force=true", nil, 204, nil)
		a.WaitGone(uuid, 60*time.Second)
	}
}
