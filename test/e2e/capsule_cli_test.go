package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// capsuleYAML is Zun's example template (zun-api.md §3) on local images.
const capsuleYAML = `capsuleVersion: beta
kind: capsule
metadata:
  name: %NAME%
  labels: {app: web}
  annotations: {key1: value1}
availabilityZone: nova
spec:
  restartPolicy: Always
  initContainers:
  - image: busybox:1.35
    command: ["sh", "-c", "echo from-yaml > /work-dir/index.html"]
    volumeMounts: [{name: workdir, mountPath: /work-dir}]
    resources: {requests: {cpu: 0.1, memory: 16}}
  containers:
  - image: busybox:1.35
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    workDir: /
    env: {ENV2: env2-value}
    ports: [{containerPort: 8080, protocol: TCP}]
    resources: {requests: {cpu: 0.1, memory: 32}}
    volumeMounts: [{name: workdir, mountPath: /www}]
  volumes:
  - name: workdir
    cinder: {size: 1, autoRemove: true}
`

func writeTemplate(t *testing.T, name, ext string) string {
	t.Helper()
	body := strings.ReplaceAll(capsuleYAML, "%NAME%", name)
	if ext == "json" {
		b, err := json.Marshal(webTemplate(name))
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	p := filepath.Join(t.TempDir(), name+"."+ext)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// capsuleID finds the uuid of a capsule by name through the API.
func (a *aio) capsuleID(name string) string {
	a.t.Helper()
	return a.GetCapsule(name).UUID
}

// TestCapsuleCLIs drives capsules through our Go CLI, Debian's
// python3-zunclient (zun capsule-*) and the OpenStack client (openstack
// capsule ...).
func TestCapsuleCLIs(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	env := a.openrcEnv()
	zun := filepath.Join(binDir, "zun")

	t.Run("go", func(t *testing.T) {
		out := a.cli(env, zun, "capsule-create", "-f", writeTemplate(t, "go-yaml", "yaml"))
		if !strings.Contains(out, "has been accepted") {
			t.Fatalf("capsule-create: %s", out)
		}
		a.cli(env, zun, "capsule-create", "-f", writeTemplate(t, "go-json", "json"))
		for _, n := range []string{"go-yaml", "go-json"} {
			c := a.WaitCapsule(n, 120*time.Second, "Running", "Error")
			if c.Status != "Running" {
				t.Fatalf("%s: %s %s", n, c.Status, deref(c.StatusReason))
			}
		}
		if out := a.cli(env, zun, "capsule-list"); !strings.Contains(out, "go-yaml") || !strings.Contains(out, "go-json") || !strings.Contains(out, "Running") {
			t.Errorf("capsule-list:\n%s", out)
		}
		out = a.cli(env, zun, "capsule-describe", "go-yaml")
		if !strings.Contains(out, a.capsuleID("go-yaml")) || !strings.Contains(out, "init_containers") || !strings.Contains(out, "key1") {
			t.Errorf("capsule-describe:\n%s", out)
		}
		var desc struct {
			Containers []container `json:"containers"`
		}
		mustJSON(t, []byte(a.cli(env, zun, "capsule-describe", "--format", "json", "go-json")), &desc)
		if len(desc.Containers) != 2 {
			t.Errorf("capsule-describe json: %+v", desc)
		}
		a.cli(env, zun, "capsule-delete", "go-yaml", "go-json")
		a.WaitCapsuleGone("go-yaml", 120*time.Second)
		a.WaitCapsuleGone("go-json", 120*time.Second)
	})

	t.Run("zunclient", func(t *testing.T) {
		requireTool(t, "zun")
		out := a.cli(env, "zun", "capsule-create", "-f", writeTemplate(t, "py-yaml", "yaml"))
		if !strings.Contains(out, "Request to create capsule has been accepted") {
			t.Fatalf("zun capsule-create: %s", out)
		}
		c := a.WaitCapsule("py-yaml", 120*time.Second, "Running", "Error")
		if c.Status != "Running" {
			t.Fatalf("py-yaml: %s %s", c.Status, deref(c.StatusReason))
		}
		if out := a.cli(env, "zun", "capsule-list"); !strings.Contains(out, "py-yaml") || !strings.Contains(out, c.UUID) {
			t.Errorf("zun capsule-list:\n%s", out)
		}
		if out := a.cli(env, "zun", "capsule-describe", "py-yaml"); uuidFromTable(t, out) != c.UUID {
			t.Errorf("zun capsule-describe:\n%s", out)
		}
		if out := a.cli(env, "zun", "capsule-delete", "py-yaml"); !strings.Contains(out, "has been accepted") {
			t.Errorf("zun capsule-delete: %s", out)
		}
		a.WaitCapsuleGone(c.UUID, 120*time.Second)
	})

	t.Run("openstack", func(t *testing.T) {
		requireTool(t, "openstack")
		out := a.cli(env, "openstack", "capsule", "create", "--file", writeTemplate(t, "osc-json", "json"))
		id := uuidFromTable(t, out)
		c := a.WaitCapsule(id, 120*time.Second, "Running", "Error")
		if c.Status != "Running" {
			t.Fatalf("osc-json: %s %s", c.Status, deref(c.StatusReason))
		}
		if out := a.cli(env, "openstack", "capsule", "list"); !strings.Contains(out, "osc-json") || !strings.Contains(out, "Running") {
			t.Errorf("openstack capsule list:\n%s", out)
		}
		if out := a.cli(env, "openstack", "capsule", "show", "osc-json"); uuidFromTable(t, out) != id {
			t.Errorf("openstack capsule show:\n%s", out)
		}
		a.cli(env, "openstack", "capsule", "delete", "osc-json")
		a.WaitCapsuleGone(id, 120*time.Second)
	})
	if ctrs := docker(t, "ps", "-aq", "--filter", "label=zun.host="+hostOf(a)); ctrs != "" {
		t.Errorf("engine containers left: %s", ctrs)
	}
}
