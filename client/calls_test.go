package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openzun/zun/api"
)

func TestCallsSendPathQueryAndBody(t *testing.T) {
	f := newFakeCloud(t)
	f.handler = func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/logs"):
			fmt.Fprint(w, `"line1\nline2\n"`)
		case strings.HasSuffix(r.URL.Path, "/execute"):
			fmt.Fprint(w, `{"output":"hi\n","exit_code":3,"exec_id":null,"proxy_url":null}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	}
	cl, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	two := 2.0
	name := "new"
	cases := []struct {
		name, method, path, query, body string
		call                            func() error
	}{
		{"create", "POST", "/v1/containers", "", `{"image":"busybox","command":["sleep","1"],"interactive":true,"tty":true}`, func() error {
			_, err := cl.CreateContainer(ctx, api.ContainerCreate{Image: "busybox", Command: []string{"sleep", "1"}, Interactive: true, TTY: true})
			return err
		}},
		{"run", "POST", "/v1/containers", "run=true", `{"image":"busybox"}`, func() error {
			_, err := cl.RunContainer(ctx, api.ContainerCreate{Image: "busybox"})
			return err
		}},
		{"get", "GET", "/v1/containers/web", "all_projects=true", "", func() error {
			_, err := cl.GetContainer(ctx, "web", true)
			return err
		}},
		{"update", "PATCH", "/v1/containers/web", "", `{"cpu":2,"name":"new"}`, func() error {
			_, err := cl.UpdateContainer(ctx, "web", api.ContainerUpdate{CPU: &two, Name: &name})
			return err
		}},
		{"delete", "DELETE", "/v1/containers/web", "force=true&stop=true", "", func() error {
			return cl.DeleteContainer(ctx, "web", DeleteOptions{Force: true, Stop: true})
		}},
		{"start", "POST", "/v1/containers/web/start", "", "", func() error { return cl.StartContainer(ctx, "web") }},
		{"stop", "POST", "/v1/containers/web/stop", "timeout=5", "", func() error { return cl.StopContainer(ctx, "web", 5) }},
		{"reboot", "POST", "/v1/containers/web/reboot", "timeout=10", "", func() error { return cl.RebootContainer(ctx, "web", 10) }},
		{"pause", "POST", "/v1/containers/web/pause", "", "", func() error { return cl.PauseContainer(ctx, "web") }},
		{"unpause", "POST", "/v1/containers/web/unpause", "", "", func() error { return cl.UnpauseContainer(ctx, "web") }},
		{"kill", "POST", "/v1/containers/web/kill", "signal=SIGKILL", "", func() error { return cl.KillContainer(ctx, "web", "SIGKILL") }},
		{"rebuild", "POST", "/v1/containers/web/rebuild", "image=nginx&image_driver=docker", "", func() error {
			return cl.RebuildContainer(ctx, "web", RebuildOptions{Image: "nginx", ImageDriver: "docker"})
		}},
		{"logs", "GET", "/v1/containers/web/logs", "since=10&stderr=true&stdout=true&tail=5&timestamps=true", "", func() error {
			s, err := cl.ContainerLogs(ctx, "web", LogsOptions{Timestamps: true, Tail: "5", Since: "10"})
			if err == nil && s != "line1\nline2\n" {
				err = fmt.Errorf("logs = %q", s)
			}
			return err
		}},
		{"top", "GET", "/v1/containers/web/top", "ps_args=aux", "", func() error {
			_, err := cl.ContainerTop(ctx, "web", "aux")
			return err
		}},
		{"stats", "GET", "/v1/containers/web/stats", "", "", func() error {
			_, err := cl.ContainerStats(ctx, "web")
			return err
		}},
		{"execute", "POST", "/v1/containers/web/execute", "command=%27ls%27+%27-l%27&run=true", "", func() error {
			res, err := cl.Execute(ctx, "web", ExecOptions{Command: QuoteCommand([]string{"ls", "-l"})})
			if err == nil && (*res.ExitCode != 3 || *res.Output != "hi\n") {
				err = fmt.Errorf("result = %+v", res)
			}
			return err
		}},
		{"execute_resize", "POST", "/v1/containers/web/execute_resize", "exec_id=abc&h=24&w=80", "", func() error {
			return cl.ExecuteResize(ctx, "web", "abc", 80, 24)
		}},
		{"actions", "GET", "/v1/containers/web/container_actions", "", "", func() error {
			_, err := cl.ListContainerActions(ctx, "web")
			return err
		}},
		{"action", "GET", "/v1/containers/web/container_actions/req-1", "", "", func() error {
			_, err := cl.GetContainerAction(ctx, "web", "req-1")
			return err
		}},
		{"host", "GET", "/v1/hosts/node1", "", "", func() error {
			_, err := cl.GetHost(ctx, "node1")
			return err
		}},
		{"service delete", "DELETE", "/v1/services", "binary=zun-compute&host=h1", "", func() error {
			return cl.DeleteService(ctx, "h1", "zun-compute")
		}},
		{"service disable", "PUT", "/v1/services/disable", "binary=zun-compute&disabled_reason=maint&host=h1", "", func() error {
			_, err := cl.DisableService(ctx, "h1", "zun-compute", "maint")
			return err
		}},
		{"service force_down", "PUT", "/v1/services/force_down", "binary=zun-compute&forced_down=false&host=h1", "", func() error {
			_, err := cl.ForceDownService(ctx, "h1", "zun-compute", false)
			return err
		}},
		{"zones", "GET", "/v1/availability_zones", "", "", func() error {
			_, err := cl.ListAvailabilityZones(ctx)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			r, body := f.last()
			if r.Method != tc.method || r.URL.Path != tc.path || r.URL.RawQuery != tc.query {
				t.Fatalf("got %s %s?%s, want %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery, tc.method, tc.path, tc.query)
			}
			if body != tc.body {
				t.Fatalf("body = %s, want %s", body, tc.body)
			}
			if tc.body != "" && r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("content type = %q", r.Header.Get("Content-Type"))
			}
		})
	}
}

func TestOldMicroversionShapesCreate(t *testing.T) {
	f := newFakeCloud(t)
	cfg := f.config()
	cfg.APIVersion = "1.19"
	cl, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateContainer(context.Background(), api.ContainerCreate{Image: "busybox", Command: []string{"echo", "a b"}, TTY: true, Interactive: true}); err != nil {
		t.Fatal(err)
	}
	r, body := f.last()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if m["command"] != `'echo' 'a b'` || m["tty"] != nil || m["interactive"] != true {
		t.Fatalf("body = %s", body)
	}
	if r.Header.Get("OpenStack-API-Version") != "container 1.19" {
		t.Fatalf("header = %q", r.Header.Get("OpenStack-API-Version"))
	}
}

func TestListFollowsNext(t *testing.T) {
	f := newFakeCloud(t)
	f.handler = func(w http.ResponseWriter, r *http.Request) {
		// The next link names another host: the client must reuse only
		// its query.
		switch r.URL.Query().Get("marker") {
		case "":
			fmt.Fprint(w, `{"containers":[{"uuid":"a"},{"uuid":"b"}],"next":"http://elsewhere:9517/v1/containers?limit=2&marker=b&status=Running"}`)
		case "b":
			fmt.Fprint(w, `{"containers":[{"uuid":"c"},{"uuid":"d"}],"next":"http://elsewhere:9517/v1/containers?limit=2&marker=d&status=Running"}`)
		default:
			fmt.Fprint(w, `{"containers":[]}`)
		}
	}
	cl, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	one, err := cl.ListContainers(context.Background(), ContainerListOptions{Status: "Running", ListOptions: ListOptions{Limit: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Containers) != 2 || one.Next == "" {
		t.Fatalf("single page = %+v", one)
	}
	r, _ := f.last()
	if r.URL.RawQuery != "limit=2&status=Running" {
		t.Fatalf("query = %q", r.URL.RawQuery)
	}
	three, err := cl.ListContainers(context.Background(), ContainerListOptions{ListOptions: ListOptions{Limit: 3, All: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(three.Containers) != 3 || three.Containers[2].UUID != "c" {
		t.Fatalf("limited = %+v", three)
	}
	all, err := cl.ListContainers(context.Background(), ContainerListOptions{ListOptions: ListOptions{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Containers) != 4 || all.Next != "" {
		t.Fatalf("all = %+v", all)
	}
}

func TestLoadCloudAndLayering(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "clouds.yaml")
	err := os.WriteFile(p, []byte(`
clouds:
  devstack:
    auth:
      auth_url: http://127.0.0.1:9517/identity
      username: demo
      password: fromfile
      project_name: demo
      user_domain_name: Default
      project_domain_id: default
    region_name: RegionOne
    interface: internal
    verify: false
    container_api_version: 1.30
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OS_CLIENT_CONFIG_FILE": p, "OS_PASSWORD": "fromenv", "OS_INSECURE": ""}
	getenv := func(k string) string { return env[k] }
	cfg, err := LoadCloud("devstack", CloudsPaths(getenv))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIVersion != "1.30" || !cfg.Insecure || cfg.Interface != "internal" || cfg.Password != "fromfile" {
		t.Fatalf("cloud config = %+v", cfg)
	}
	envCfg, err := ConfigFromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	merged := cfg.Merge(envCfg).Merge(Config{ProjectName: "fromflag"})
	if merged.Password != "fromenv" || merged.ProjectName != "fromflag" || merged.Username != "demo" {
		t.Fatalf("merged = %+v", merged)
	}
	if _, err := LoadCloud("missing", []string{p, filepath.Join(dir, "none.yaml")}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing cloud err = %v", err)
	}
	env["OS_INSECURE"] = "maybe"
	if _, err := ConfigFromEnv(getenv); err == nil {
		t.Fatal("want an error for OS_INSECURE=maybe")
	}
}
