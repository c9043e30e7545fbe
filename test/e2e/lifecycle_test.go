package e2e

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestContainerLifecycle runs a busybox container through every action on
// the real engine and checks what Docker shows at each step.
func TestContainerLifecycle(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)

	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{
		"name": "life", "image": "busybox:1.35", "command": []string{"sh", "-c", "echo hello-from-zun; exec sleep 600"},
		"cpu": 0.5, "memory": "64", "environment": map[string]string{"FOO": "bar"}, "labels": map[string]string{"app": "web"},
		"workdir": "/tmp", "hostname": "lifehost", "restart_policy": map[string]any{"Name": "on-failure", "MaximumRetryCount": 2},
		"healthcheck": map[string]any{"cmd": "true", "interval": 5, "retries": 2, "timeout": 3},
	}, 202, &c)
	if c.Status != "Creating" || c.Name != "life" {
		t.Fatalf("create answer: %+v", c)
	}
	c = a.WaitStatus(c.UUID, 60*time.Second, "Running")

	// What the engine shows.
	name := "zun-" + c.UUID
	var insp []struct {
		Config struct {
			Hostname, WorkingDir string
			Env                  []string
			Labels               map[string]string
		}
		HostConfig struct {
			Memory, CPUShares, NanoCpus int64
			Privileged                  bool
			Binds                       []string
			NetworkMode, PidMode        string
			RestartPolicy               struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(docker(t, "inspect", name)), &insp); err != nil {
		t.Fatal(err)
	}
	hc := insp[0].HostConfig
	if hc.Memory != 64<<20 || hc.CPUShares != 512 || hc.Privileged || len(hc.Binds) != 0 || hc.PidMode == "host" || hc.RestartPolicy.Name != "on-failure" {
		t.Errorf("host config: %+v", hc)
	}
	cfg := insp[0].Config
	if cfg.Hostname != "lifehost" || cfg.WorkingDir != "/tmp" || cfg.Labels["app"] != "web" || cfg.Labels["zun.uuid"] != c.UUID || !contains(cfg.Env, "FOO=bar") {
		t.Errorf("config: %+v", cfg)
	}

	// Logs, top, stats, exec.
	deadline := time.Now().Add(10 * time.Second)
	var logs string
	for time.Now().Before(deadline) {
		a.Do("GET", "/v1/containers/"+c.UUID+"/logs?stdout=true&stderr=true", nil, 200, &logs)
		if strings.Contains(logs, "hello-from-zun") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(logs, "hello-from-zun") {
		t.Errorf("logs: %q", logs)
	}
	var top struct {
		Titles    []string
		Processes [][]string
	}
	a.Do("GET", "/v1/containers/"+c.UUID+"/top", nil, 200, &top)
	if len(top.Processes) == 0 || !strings.Contains(strings.Join(top.Processes[0], " "), "sleep") {
		t.Errorf("top: %+v", top)
	}
	var stats map[string]any
	a.Do("GET", "/v1/containers/"+c.UUID+"/stats", nil, 200, &stats)
	if _, ok := stats["MEM LIMIT(MiB)"]; !ok {
		t.Errorf("stats: %v", stats)
	}
	var ex struct {
		Output   string `json:"output"`
		ExitCode int    `json:"exit_code"`
	}
	a.Do("POST", "/v1/containers/"+c.UUID+"/execute?command="+url.QueryEscape("sh -c 'echo $FOO; exit 3'"), nil, 200, &ex)
	if strings.TrimSpace(ex.Output) != "bar" || ex.ExitCode != 3 {
		t.Errorf("exec: %+v", ex)
	}

	// Wrong state: unpause of a running container.
	st, body := a.doRaw("POST", "/v1/containers/"+c.UUID+"/unpause", a.admin, "1.40", nil)
	if st != 409 || !strings.Contains(string(body), `"errors"`) {
		t.Errorf("unpause running: %d %s", st, body)
	}

	// pause / unpause / stop / start / restart / kill.
	a.Do("POST", "/v1/containers/"+c.UUID+"/pause", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Paused")
	if s := docker(t, "inspect", "-f", "{{.State.Paused}}", name); s != "true" {
		t.Errorf("docker paused = %s", s)
	}
	a.Do("POST", "/v1/containers/"+c.UUID+"/unpause", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Running")
	a.Do("POST", "/v1/containers/"+c.UUID+"/stop?timeout=1", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Stopped")
	a.Do("POST", "/v1/containers/"+c.UUID+"/start", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Running")
	a.Do("POST", "/v1/containers/"+c.UUID+"/reboot?timeout=1", nil, 202, nil)
	a.WaitStatus(c.UUID, 30*time.Second, "Running")
	a.Do("POST", "/v1/containers/"+c.UUID+"/kill?signal=SIGKILL", nil, 202, nil)
	// Killed by a signal: on-failure restarts it (exit 137 is a failure), so
	// it may come back Running; either way the engine and API agree.
	c = a.WaitStatus(c.UUID, 30*time.Second, "Stopped", "Running")

	// PATCH: rename and resize.
	var up container
	a.Do("PATCH", "/v1/containers/"+c.UUID, map[string]any{"name": "life2", "memory": "128", "cpu": 1}, 200, &up)
	if up.Name != "life2" || up.Memory != "128" || up.CPU != 1 {
		t.Errorf("patch: %+v", up)
	}
	if m := docker(t, "inspect", "-f", "{{.HostConfig.Memory}}", name); m != "134217728" {
		t.Errorf("docker memory after update = %s", m)
	}

	// Rebuild keeps the record, replaces the engine container.
	oldID := docker(t, "inspect", "-f", "{{.Id}}", name)
	a.Do("POST", "/v1/containers/"+c.UUID+"/rebuild", nil, 202, nil)
	a.WaitStatus(c.UUID, 60*time.Second, "Running", "Created")
	if newID := docker(t, "inspect", "-f", "{{.Id}}", name); newID == oldID {
		t.Errorf("rebuild kept engine container %s", oldID)
	}

	// Actions were recorded with events.
	var acts struct {
		ContainerActions []struct {
			Action    string `json:"action"`
			RequestID string `json:"request_id"`
		} `json:"containerActions"`
	}
	a.Do("GET", "/v1/containers/"+c.UUID+"/container_actions", nil, 200, &acts)
	seen := map[string]string{}
	for _, x := range acts.ContainerActions {
		seen[x.Action] = x.RequestID
	}
	for _, want := range []string{"create", "stop", "start", "pause", "unpause", "reboot", "kill", "rebuild", "update", "exec_cmd"} {
		if seen[want] == "" {
			t.Errorf("action %s not recorded: %+v", want, acts)
		}
	}
	var act struct {
		Events []struct {
			Event  string  `json:"event"`
			Result *string `json:"result"`
		} `json:"events"`
	}
	a.Do("GET", "/v1/containers/"+c.UUID+"/container_actions/"+seen["stop"], nil, 200, &act)
	if len(act.Events) == 0 || act.Events[0].Event != "compute__do_container_stop" || deref(act.Events[0].Result) != "Success" {
		t.Errorf("stop action events: %+v", act)
	}

	// Delete of a running container needs stop or force.
	st, _ = a.doRaw("DELETE", "/v1/containers/"+c.UUID, a.admin, "1.40", nil)
	c = a.Get(c.UUID)
	if c.Status == "Running" && st != 409 {
		t.Errorf("delete running without stop: %d", st)
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?stop=true", nil, 204, nil)
	a.WaitGone(c.UUID, 60*time.Second)
	if _, ok := engineContainers(t)[c.UUID]; ok {
		t.Errorf("engine still has %s", name)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
