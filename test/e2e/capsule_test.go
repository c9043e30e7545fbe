package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// capsule is the subset of the capsule view tests read.
type capsule struct {
	UUID           string            `json:"uuid"`
	Name           string            `json:"name"`
	Status         string            `json:"status"`
	StatusReason   *string           `json:"status_reason"`
	Host           *string           `json:"host"`
	CPU            float64           `json:"cpu"`
	Memory         string            `json:"memory"`
	Labels         map[string]string `json:"labels"`
	Annotations    map[string]string `json:"annotations"`
	RestartPolicy  map[string]string `json:"restart_policy"`
	Containers     []container       `json:"containers"`
	InitContainers []container       `json:"init_containers"`
}

func (a *aio) GetCapsule(id string) capsule {
	a.t.Helper()
	var c capsule
	a.Do("GET", "/v1/capsules/"+id, nil, 200, &c)
	return c
}

// WaitCapsule waits until the capsule reaches one of statuses.
func (a *aio) WaitCapsule(id string, timeout time.Duration, statuses ...string) capsule {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	var c capsule
	for time.Now().Before(deadline) {
		c = a.GetCapsule(id)
		for _, s := range statuses {
			if c.Status == s {
				return c
			}
		}
		time.Sleep(150 * time.Millisecond)
	}
	a.t.Fatalf("capsule %s: status %s (reason %v), want %v", id, c.Status, deref(c.StatusReason), statuses)
	return c
}

// WaitCapsuleGone waits until GET answers 404.
func (a *aio) WaitCapsuleGone(id string, timeout time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if st, _ := a.doRaw("GET", "/v1/capsules/"+id, a.admin, "1.40", nil); st == 404 {
			return
		}
		time.Sleep(150 * time.Millisecond)
	}
	a.t.Fatalf("capsule %s still exists", id)
}

// capsuleEngine lists the engine containers and volumes labelled with a
// capsule.
func capsuleEngine(t *testing.T, uuid string) (containers, volumes []string) {
	t.Helper()
	c := docker(t, "ps", "-a", "--filter", "label=zun.capsule="+uuid, "--format", "{{.Names}}")
	v := docker(t, "volume", "ls", "--filter", "label=zun.capsule="+uuid, "--format", "{{.Name}}")
	return strings.Fields(c), strings.Fields(v)
}

// webTemplate is Zun's example template (zun-api.md §3) on local images:
// an init container writes the page into a shared volume, web serves it
// with busybox httpd, probe fetches it over localhost.
func webTemplate(name string) map[string]any {
	return map[string]any{
		"kind": "capsule", "capsuleVersion": "beta",
		"metadata":         map[string]any{"name": name, "labels": map[string]any{"app": "web"}, "annotations": map[string]any{"key1": "value1"}},
		"availabilityZone": "nova",
		"spec": map[string]any{
			"restartPolicy": "Always",
			"initContainers": []any{map[string]any{
				"image": "busybox:1.35", "name": "init",
				"command":      []any{"sh", "-c", "echo hello-from-init > /work-dir/index.html"},
				"volumeMounts": []any{map[string]any{"name": "workdir", "mountPath": "/work-dir"}},
				"resources":    map[string]any{"requests": map[string]any{"cpu": 0.2, "memory": 64}},
			}},
			"containers": []any{
				map[string]any{
					"image": "busybox:1.35", "name": "web", "workDir": "/",
					"command":      []any{"httpd", "-f", "-p"},
					"args":         []any{"8080", "-h", "/www"},
					"env":          map[string]any{"ENV2": "env2-value"},
					"ports":        []any{map[string]any{"containerPort": 8080, "protocol": "TCP"}},
					"resources":    map[string]any{"requests": map[string]any{"cpu": 0.1, "memory": 32}},
					"volumeMounts": []any{map[string]any{"name": "workdir", "mountPath": "/www", "readOnly": true}},
				},
				map[string]any{
					"image": "busybox:1.35", "name": "probe",
					"command":   []any{"sh", "-c", "while true; do wget -q -O /tmp/got http://localhost:8080/index.html; sleep 0.5; done"},
					"resources": map[string]any{"requests": map[string]any{"cpu": 0.1, "memory": 16}},
				},
			},
			"volumes": []any{map[string]any{"name": "workdir", "cinder": map[string]any{"size": 1, "autoRemove": true}}},
		},
	}
}

func memberByName(t *testing.T, c capsule, name string) container {
	t.Helper()
	for _, m := range append(c.InitContainers, c.Containers...) {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("capsule %s has no container %s", c.UUID, name)
	return container{}
}

// TestCapsuleWeb runs Zun's example: init writes, web serves, probe
// reaches web on localhost; the PID namespace is shared; members are
// hidden from the container list; delete removes everything.
func TestCapsuleWeb(t *testing.T) {
	requireDocker(t)
	requireTool(t, "losetup")
	a := startAIO(t)
	volDir := cleanupVolumes(t, a.DataDir)
	cleanupHost(t, hostOf(a))
	var created capsule
	st, body := a.doRaw("POST", "/v1/capsules/", a.admin, "1.40", map[string]any{"template": webTemplate("web-demo")})
	if st != 202 {
		t.Fatalf("create: %d %s", st, body)
	}
	mustJSON(t, body, &created)
	if created.Status != "Creating" || created.CPU != 0.2 || created.Memory != "64" {
		t.Fatalf("created capsule: %s", body)
	}
	c := a.WaitCapsule(created.UUID, 120*time.Second, "Running", "Error")
	if c.Status != "Running" {
		t.Fatalf("capsule status %s: %s", c.Status, deref(c.StatusReason))
	}
	if c.Annotations["key1"] != "value1" || c.Labels["app"] != "web" || c.RestartPolicy["Name"] != "always" || deref(c.Host) == "" {
		t.Fatalf("capsule view: %+v", c)
	}
	if len(c.InitContainers) != 1 || c.InitContainers[0].Status != "Stopped" {
		t.Fatalf("init containers: %+v", c.InitContainers)
	}
	web, probe := memberByName(t, c, "web"), memberByName(t, c, "probe")
	// probe fetched the page web serves from the volume init filled.
	deadline := time.Now().Add(20 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		out, err := dockerTry("exec", "zun-"+probe.UUID, "cat", "/tmp/got")
		if got = strings.TrimSpace(out); err == nil && got == "hello-from-init" {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if got != "hello-from-init" {
		t.Fatalf("probe got %q", got)
	}
	// One PID namespace: probe sees web's httpd, and pause as PID 1.
	ps := docker(t, "exec", "zun-"+probe.UUID, "ps", "-o", "pid,args")
	if !strings.Contains(ps, "httpd -f -p 8080") || !strings.Contains(ps, "/pause") {
		t.Fatalf("ps in probe does not show web's and the sandbox's processes:\n%s", ps)
	}
	// Security defaults as for containers.
	insp := docker(t, "inspect", "-f", "{{.HostConfig.Privileged}} {{.HostConfig.SecurityOpt}} {{.HostConfig.PidMode}} {{.HostConfig.NetworkMode}} {{.HostConfig.IpcMode}} {{.HostConfig.PidsLimit}}", "zun-"+web.UUID)
	sb := docker(t, "inspect", "-f", "{{.Id}}", "zun-"+c.UUID)
	want := fmt.Sprintf("false [no-new-privileges:true] container:%s container:%s container:%s", sb, sb, sb)
	if !strings.HasPrefix(insp, want) || strings.HasSuffix(insp, " 0") {
		t.Fatalf("web host config %q, want prefix %q and a pids limit", insp, want)
	}
	// Members are not containers of the container list (as in Zun).
	var list struct{ Containers []container }
	a.Do("GET", "/v1/containers?all_projects=true", nil, 200, &list)
	for _, ct := range list.Containers {
		if ct.UUID == web.UUID || ct.UUID == probe.UUID {
			t.Fatalf("capsule member %s in the container list", ct.Name)
		}
	}
	// By name, and in the capsule list.
	if byName := a.GetCapsule("web-demo"); byName.UUID != c.UUID {
		t.Fatalf("show by name: %+v", byName)
	}
	var cl struct{ Capsules []capsule }
	a.Do("GET", "/v1/capsules/", nil, 200, &cl)
	if len(cl.Capsules) != 1 || cl.Capsules[0].UUID != c.UUID {
		t.Fatalf("capsule list: %+v", cl)
	}
	ctrs, vols := capsuleEngine(t, c.UUID)
	if len(ctrs) != 4 || len(vols) != 0 {
		t.Fatalf("engine has %v and volumes %v, want sandbox + 3 members and no engine volume", ctrs, vols)
	}
	// The volume is the volume service's: a loop device mounted on the host.
	if m, l := mountsUnder(t, volDir), loopDevicesUnder(t, volDir); len(m) != 1 || len(l) != 1 {
		t.Fatalf("host mounts %v, loop devices %v; want one volume", m, l)
	}
	a.Do("DELETE", "/v1/capsules/"+c.UUID, nil, 204, nil)
	a.WaitCapsuleGone(c.UUID, 120*time.Second)
	if ctrs, vols := capsuleEngine(t, c.UUID); len(ctrs)+len(vols) != 0 {
		t.Fatalf("after delete the engine still has %v %v", ctrs, vols)
	}
	if m, l, f := mountsUnder(t, volDir), loopDevicesUnder(t, volDir), filesUnder(t, volDir); len(m)+len(l)+len(f) != 0 {
		t.Fatalf("after delete the host still has mounts %v, loop devices %v, files %v", m, l, f)
	}
	// The claim is released.
	var hosts struct {
		Hosts []struct {
			CPUUsed float64 `json:"cpu_used"`
			MemUsed int64   `json:"mem_used"`
		}
	}
	a.Do("GET", "/v1/hosts", nil, 200, &hosts)
	if len(hosts.Hosts) != 1 || hosts.Hosts[0].CPUUsed != 0 || hosts.Hosts[0].MemUsed != 0 {
		t.Fatalf("hosts after delete: %+v", hosts)
	}
}

func mustJSON(t *testing.T, b []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

// dockerTry runs the docker CLI and returns its output and error.
func dockerTry(args ...string) (string, error) {
	out, err := exec.Command("docker", args...).CombinedOutput()
	return string(out), err
}
