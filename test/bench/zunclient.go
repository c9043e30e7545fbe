package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const apiVersion = "container 1.40"

// zclient talks to one all-in-one as the bootstrap admin over a keep-alive
// HTTP client.
type zclient struct {
	base      string // http://127.0.0.1:PORT
	token     string
	projectID string
	hc        *http.Client
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			Proxy:               nil, // 127.0.0.1 only, never through a proxy
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// authenticate gets a project-scoped admin token.
func (z *zclient) authenticate(ctx context.Context, password string) error {
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":%q}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}`, password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, z.base+"/identity/v3/auth/tokens", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("failed to build auth request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := z.hc.Do(req)
	if err != nil {
		return fmt.Errorf("failed to authenticate: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("failed to authenticate: status %d: %s", resp.StatusCode, b)
	}
	var tok struct {
		Token struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"token"`
	}
	if err := json.Unmarshal(b, &tok); err != nil {
		return fmt.Errorf("failed to decode token: %w", err)
	}
	z.token = resp.Header.Get("X-Subject-Token")
	z.projectID = tok.Token.Project.ID
	if z.token == "" {
		return fmt.Errorf("failed to authenticate: no X-Subject-Token")
	}
	return nil
}

// do sends one Zun API request and decodes a 2xx JSON answer into out.
func (z *zclient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("failed to encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, z.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("failed to build %s %s: %w", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Auth-Token", z.token)
	req.Header.Set("OpenStack-API-Version", apiVersion)
	resp, err := z.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("failed to %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("failed to read %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("failed to decode %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// createReq is the body of POST /v1/containers the driver sends.
type createReq struct {
	Name    string            `json:"name,omitempty"`
	Image   string            `json:"image"`
	Command []string          `json:"command,omitempty"`
	CPU     float64           `json:"cpu,omitempty"`
	Memory  string            `json:"memory,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Mounts  []map[string]any  `json:"mounts,omitempty"`
}

// ctr is the part of the container view the driver reads.
type ctr struct {
	UUID         string  `json:"uuid"`
	Status       string  `json:"status"`
	StatusReason *string `json:"status_reason"`
	TaskState    *string `json:"task_state"`
}

func (z *zclient) create(ctx context.Context, body createReq, run bool) (string, error) {
	var c ctr
	if _, err := z.do(ctx, http.MethodPost, fmt.Sprintf("/v1/containers?run=%t", run), body, &c); err != nil {
		return "", err
	}
	if c.UUID == "" {
		return "", fmt.Errorf("create answered no uuid")
	}
	return c.UUID, nil
}

// pollPlan is how a waiter polls GET: every fast; if gated, every slow
// until gate is closed (the engine's start event of the container).
type pollPlan struct {
	fast, slow time.Duration
	gated      bool
	gate       <-chan struct{}
}

func every(d time.Duration) pollPlan { return pollPlan{fast: d} }

func (p pollPlan) String() string {
	if !p.gated {
		return "every " + p.fast.String()
	}
	return fmt.Sprintf("every %s until the engine's start event, then every %s", p.slow, p.fast)
}

// waitStatus polls GET until the container has status and no task;
// status Error fails at once.
func (z *zclient) waitStatus(ctx context.Context, uuid, status string, plan pollPlan, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var gate <-chan struct{}
	if plan.gated {
		gate = plan.gate
	}
	for {
		var c ctr
		if _, err := z.do(ctx, http.MethodGet, "/v1/containers/"+uuid, nil, &c); err != nil {
			return fmt.Errorf("waiting for %s to be %s: %w", uuid, status, err)
		}
		if c.Status == status && c.TaskState == nil {
			return nil
		}
		if c.Status == "Error" {
			reason := ""
			if c.StatusReason != nil {
				reason = *c.StatusReason
			}
			return fmt.Errorf("container %s went to Error: %s", uuid, reason)
		}
		wait := plan.fast
		if gate != nil {
			select {
			case <-gate:
				gate = nil
			default:
				wait = plan.slow
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("container %s: status %s, want %s: %w", uuid, c.Status, status, ctx.Err())
		case <-gate: // started: poll now, then every fast
			t.Stop()
			gate = nil
		case <-t.C:
		}
	}
}

// remove force-deletes the container and waits until GET answers 404.
func (z *zclient) remove(ctx context.Context, uuid string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if st, err := z.do(ctx, http.MethodDelete, "/v1/containers/"+uuid+"?force=true", nil, nil); err != nil && st != http.StatusNotFound {
		return fmt.Errorf("failed to delete %s: %w", uuid, err)
	}
	for {
		st, err := z.do(ctx, http.MethodGet, "/v1/containers/"+uuid, nil, nil)
		if st == http.StatusNotFound {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("still present")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s not gone after delete: %w", uuid, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// hostView is the part of GET /v1/hosts the driver reads.
type hostView struct {
	Hostname        string  `json:"hostname"`
	MemTotal        int64   `json:"mem_total"`
	MemUsed         int64   `json:"mem_used"`
	CPUs            int     `json:"cpus"`
	CPUUsed         float64 `json:"cpu_used"`
	TotalContainers int     `json:"total_containers"`
}

func (z *zclient) hosts(ctx context.Context) ([]hostView, error) {
	var l struct {
		Hosts []hostView `json:"hosts"`
	}
	if _, err := z.do(ctx, http.MethodGet, "/v1/hosts", nil, &l); err != nil {
		return nil, err
	}
	return l.Hosts, nil
}

// liftQuota removes the project's container, cpu and memory limits so the
// large phases are not stopped by default quotas. An API without the
// quota routes (404) has no limits to lift.
func (z *zclient) liftQuota(ctx context.Context) error {
	body := map[string]int{"containers": -1, "cpu": -1, "memory": -1, "disk": -1}
	st, err := z.do(ctx, http.MethodPut, "/v1/quotas/"+z.projectID, body, nil)
	if st == http.StatusNotFound {
		return nil
	}
	return err
}
