package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func randSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// goZun runs the Go CLI with env and returns its combined output and error.
func goZun(env []string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(binDir, "zun"), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// fieldFromTable reads a row of a Property/Value (or Field/Value) table.
func fieldFromTable(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "|")
		if len(f) >= 3 && strings.TrimSpace(f[1]) == key {
			return strings.TrimSpace(f[2])
		}
	}
	return ""
}

// createGlanceImage uploads file with the OpenStack client and returns the
// image ID.
func (a *aio) createGlanceImage(env []string, name, file string) string {
	a.t.Helper()
	out := a.cli(env, "openstack", "image", "create", "--container-format", "docker", "--disk-format", "raw", "--file", file, name)
	id := fieldFromTable(out, "id")
	if id == "" {
		a.t.Fatalf("no id in:\n%s", out)
	}
	return id
}

// runGlance runs a container from a glance image with the Go CLI and
// returns its UUID.
func (a *aio) runGo(env []string, args ...string) string {
	a.t.Helper()
	out, err := goZun(env, append([]string{"run", "-f", "json"}, args...)...)
	if err != nil {
		a.t.Fatalf("zun run %v: %v\n%s", args, err, out)
	}
	var c struct{ UUID string }
	if i := strings.Index(out, "{"); i >= 0 {
		_ = jsonUnmarshal(out[i:], &c)
	}
	if c.UUID == "" {
		a.t.Fatalf("no uuid in %s", out)
	}
	return c.UUID
}

// TestGlanceImageDriver uploads a `docker save` archive with the OpenStack
// client, runs it with --image-driver glance, downloads it back, and goes
// through the bad cases: each ends in Error with a clear reason and leaves
// nothing behind (no engine container, no partial download).
func TestGlanceImageDriver(t *testing.T) {
	requireDocker(t)
	requireTool(t, "openstack")
	a := startAIO(t)
	env := a.openrcEnv()
	dir := t.TempDir()
	good := filepath.Join(dir, "busybox.tar")
	docker(t, "save", "-o", good, "busybox:1.35")

	name := "bb-" + randSuffix()
	id := a.createGlanceImage(env, name, good)
	show := a.cli(env, "openstack", "image", "show", id)
	if fieldFromTable(show, "status") != "active" || fieldFromTable(show, "container_format") != "docker" {
		t.Fatalf("image after upload:\n%s", show)
	}
	if got := fieldFromTable(show, "checksum"); len(got) != 32 {
		t.Fatalf("checksum %q", got)
	}
	list := a.cli(env, "openstack", "image", "list")
	if !strings.Contains(list, name) {
		t.Fatalf("image list misses %s:\n%s", name, list)
	}
	saved := filepath.Join(dir, "saved.tar")
	a.cli(env, "openstack", "image", "save", "--file", saved, id)
	if fileSHA256(t, saved) != fileSHA256(t, good) {
		t.Fatal("downloaded image differs from the upload")
	}

	uuid := a.runGo(env, "--image-driver", "glance", name, "sleep", "300")
	c := a.WaitStatus(uuid, 60*time.Second, "Running", "Error")
	if c.Status != "Running" {
		t.Fatalf("glance container: %s: %s", c.Status, deref(c.StatusReason))
	}
	// The agent cached the verified archive and recorded the host image.
	var imgs struct {
		Images []struct {
			UUID, Repo, Tag, Status string
			ImageID                 string `json:"image_id"`
		}
	}
	a.Do("GET", "/v1/images", nil, 200, &imgs)
	hostImage := ""
	for _, im := range imgs.Images {
		if im.Repo == name && im.Tag == id && im.Status == "ready" && im.ImageID != "" {
			hostImage = im.UUID
		}
	}
	if hostImage == "" {
		t.Fatalf("no ready host image for %s: %+v", name, imgs.Images)
	}

	// Bad cases.
	junk := filepath.Join(dir, "junk.tar")
	noise := make([]byte, 64<<10)
	_, _ = rand.Read(noise)
	if err := os.WriteFile(junk, noise, 0o600); err != nil {
		t.Fatal(err)
	}
	whole, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.tar")
	if err := os.WriteFile(truncated, whole[:len(whole)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	tampered := "tampered-" + randSuffix()
	tamperedID := a.createGlanceImage(env, tampered, good)
	blob := filepath.Join(a.DataDir, "images", "blobs", tamperedID)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff // corrupted at rest: same size, other bytes
	if err := os.WriteFile(blob, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, image, file, reason string
	}{
		{"corrupt", "junk-" + randSuffix(), junk, "not a valid docker save archive"},
		{"truncated", "trunc-" + randSuffix(), truncated, "not a valid docker save archive"},
		{"checksum mismatch", tampered, "", "checksum mismatch"},
		{"missing", "no-such-image-" + randSuffix(), "", "could not be found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.file != "" {
				a.createGlanceImage(env, tc.image, tc.file)
			}
			u := a.runGo(env, "--image-driver", "glance", tc.image, "true")
			c := a.WaitStatus(u, 60*time.Second, "Running", "Error", "Created", "Stopped")
			if c.Status != "Error" || !strings.Contains(deref(c.StatusReason), tc.reason) {
				t.Fatalf("%s: status %s, reason %q, want Error with %q", tc.name, c.Status, deref(c.StatusReason), tc.reason)
			}
			if _, ok := engineContainers(t)[u]; ok {
				t.Fatalf("%s: an engine container was made", tc.name)
			}
		})
	}
	cache, _ := filepath.Glob(filepath.Join(a.DataDir, "image-cache", "*", ".download-*"))
	if len(cache) != 0 {
		t.Fatalf("partial downloads left behind: %v", cache)
	}
	// An upload whose data does not match the hash the client declared is
	// refused and the image is killed.
	var im struct{ ID string }
	a.rawJSON("POST", "/image/v2/images", map[string]any{"name": "declared", "container_format": "docker", "disk_format": "raw",
		"owner_specified.openstack.sha256": strings.Repeat("0", 64)}, 201, &im)
	if st, body := a.doRawBody("PUT", "/image/v2/images/"+im.ID+"/file", whole); st != 400 {
		t.Fatalf("upload with a wrong declared hash: %d %s", st, body)
	}
	var shown struct{ Status string }
	a.rawJSON("GET", "/image/v2/images/"+im.ID, nil, 200, &shown)
	if shown.Status != "killed" {
		t.Fatalf("status after a refused upload: %s", shown.Status)
	}

	// Delete removes record and data. The host image goes with its cached
	// archive; the engine keeps busybox:1.35, pinned, which it carries.
	a.Do("DELETE", "/v1/containers/"+uuid+"?force=true", nil, 204, nil)
	a.WaitGone(uuid, 30*time.Second)
	a.Do("DELETE", "/v1/images/"+hostImage, nil, 204, nil)
	if left, _ := filepath.Glob(filepath.Join(a.DataDir, "image-cache", "*", id+".tar")); len(left) != 0 {
		t.Fatalf("cached archive left after image delete: %v", left)
	}
	if !imageExists("busybox:1.35") {
		t.Fatal("deleting the glance host image removed busybox:1.35")
	}
	a.cli(env, "openstack", "image", "delete", id)
	if _, err := os.Stat(filepath.Join(a.DataDir, "images", "blobs", id)); !os.IsNotExist(err) {
		t.Fatalf("image data left after delete: %v", err)
	}
}

// doRawBody sends raw bytes as the admin.
func (a *aio) doRawBody(method, path string, body []byte) (int, string) {
	req, _ := httpNewRequest(method, a.URL+path, body)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Auth-Token", a.admin)
	resp, err := httpDo(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b := make([]byte, 4096)
	n, _ := resp.Body.Read(b)
	return resp.StatusCode, string(b[:n])
}

// registry is Debian's docker-registry on loopback with htpasswd auth.
type registry struct {
	Addr, User, Password string
}

func startRegistry(t *testing.T) registry {
	t.Helper()
	requireTool(t, "docker-registry")
	requireTool(t, "htpasswd")
	dir := t.TempDir()
	r := registry{Addr: freePort(t), User: "zunuser", Password: "pw-" + randSuffix()}
	out, err := exec.Command("htpasswd", "-Bbn", r.User, r.Password).Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "htpasswd"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: %s\nauth:\n  htpasswd:\n    realm: zun-test\n    path: %s/htpasswd\n", dir, r.Addr, dir)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker-registry", "serve", filepath.Join(dir, "config.yml"))
	logf, _ := os.Create(filepath.Join(dir, "registry.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() })
	waitFor(t, 20*time.Second, func() bool {
		resp, err := httpGet("http://" + r.Addr + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 401
	})
	return r
}

// push tags busybox:1.35 as repo in the registry, pushes it with a
// throw-away docker CLI config, and removes the local tag so that a run
// must pull it.
func (r registry) push(t *testing.T, repo string) string {
	t.Helper()
	ref := r.Addr + "/" + repo
	cfgDir := t.TempDir()
	run := func(stdin string, args ...string) {
		cmd := exec.Command("docker", append([]string{"--config", cfgDir}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
	}
	run(r.Password, "login", "--username", r.User, "--password-stdin", r.Addr)
	run("", "tag", "busybox:1.35", ref)
	run("", "push", ref)
	run("", "rmi", ref)
	run("", "logout", r.Addr)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", ref).Run() })
	return ref
}

// TestRegistryPull pushes an image to a real registry with htpasswd auth,
// records the registry with python-zunclient and runs the image through it
// with the Go CLI; a wrong password and another project's registry fail
// clearly, and the password never reaches the database in clear.
func TestRegistryPull(t *testing.T) {
	requireDocker(t)
	requireTool(t, "zun")
	reg := startRegistry(t)
	ref := reg.push(t, "zun-e2e-"+randSuffix()+":v1")
	a := startAIO(t)
	env := a.openrcEnv()
	pyEnv := append(env, "ZUN_API_VERSION=1.40")

	out := a.cli(pyEnv, "zun", "registry-create", "--name", "goodreg", "--domain", reg.Addr, "--username", reg.User, "--password", reg.Password)
	if fieldFromTable(out, "password") != "***" || strings.Contains(out, reg.Password) {
		t.Fatalf("registry-create shows the password:\n%s", out)
	}
	out = a.cli(pyEnv, "zun", "registry-list")
	if !strings.Contains(out, "goodreg") || strings.Contains(out, reg.Password) {
		t.Fatalf("registry-list:\n%s", out)
	}
	a.cli(pyEnv, "zun", "registry-create", "--name", "badreg", "--domain", reg.Addr, "--username", reg.User, "--password", "wrong-password")

	uuid := a.runGo(env, "--registry", "goodreg", "--image-driver", "docker", ref, "sleep", "300")
	c := a.WaitStatus(uuid, 90*time.Second, "Running", "Error")
	if c.Status != "Running" {
		t.Fatalf("registry container: %s: %s", c.Status, deref(c.StatusReason))
	}
	var full map[string]any
	a.Do("GET", "/v1/containers/"+uuid, nil, 200, &full)
	if full["registry_id"] == nil || full["registry_id"] == "" {
		t.Fatalf("registry_id not set: %v", full["registry_id"])
	}
	out = a.cli(pyEnv, "zun", "image-list")
	if !strings.Contains(out, reg.Addr+"/zun-e2e-") {
		t.Fatalf("zun image-list misses the pulled image:\n%s", out)
	}

	bad := a.runGo(env, "--registry", "badreg", "--image-pull-policy", "always", ref, "true")
	c = a.WaitStatus(bad, 90*time.Second, "Running", "Error", "Created")
	if c.Status != "Error" || !strings.Contains(deref(c.StatusReason), "refused the credentials") {
		t.Fatalf("wrong password: %s: %q", c.Status, deref(c.StatusReason))
	}

	// Another project sees neither registry: 404, and cannot use it.
	bob := a.createMember("regproj-"+randSuffix(), "reguser", "reguser-pw")
	if st, _ := a.doRaw("GET", "/v1/registries/goodreg", bob, "1.40", nil); st != 404 {
		t.Fatalf("other project's registry: %d", st)
	}
	if st, body := a.doRaw("POST", "/v1/containers", bob, "1.40", map[string]any{"image": ref, "registry": "goodreg"}); st != 404 {
		t.Fatalf("create with another project's registry: %d %s", st, body)
	}
	if st, _ := a.doRaw("POST", "/v1/registries", a.admin, "1.29", map[string]any{"registry": map[string]any{"domain": "x"}}); st != 404 {
		t.Fatalf("registries before 1.30: %d", st)
	}

	// The password is sealed at rest and never logged.
	for _, f := range []string{"zun.db", "zun.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(a.DataDir, f))
		if strings.Contains(string(b), reg.Password) {
			t.Fatalf("%s holds the registry password in clear", f)
		}
	}
	if strings.Contains(a.Proc.Log(), reg.Password) {
		t.Fatal("the registry password was logged")
	}
	if st, err := os.Stat(filepath.Join(a.DataDir, "secret.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret key: %v", err)
	}
	a.Do("DELETE", "/v1/containers/"+uuid+"?force=true", nil, 204, nil)
	a.Do("DELETE", "/v1/containers/"+bad+"?force=true", nil, 204, nil)
}

// TestImagesAPI drives pull, list, search, commit and delete with the Go
// CLI.
func TestImagesAPI(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	env := a.openrcEnv()
	var hosts struct {
		Hosts []struct{ Hostname string }
	}
	a.Do("GET", "/v1/hosts", nil, 200, &hosts)
	host := hosts.Hosts[0].Hostname
	repo := "zun-api-" + randSuffix()
	docker(t, "tag", "busybox:1.35", repo+":v1")
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", repo+":v1").Run() })

	out, err := goZun(env, "pull", "--wait", "--image-pull-policy", "ifnotpresent", repo+":v1", host)
	if err != nil || fieldFromTable(out, "status") != "ready" || !strings.HasPrefix(fieldFromTable(out, "image_id"), "sha256:") {
		t.Fatalf("zun pull: %v\n%s", err, out)
	}
	imageUUID := fieldFromTable(out, "uuid")
	out, err = goZun(env, "image-list")
	if err != nil || !strings.Contains(out, repo) {
		t.Fatalf("image-list: %v\n%s", err, out)
	}
	// A pull of an image no registry has ends in error, with the reason.
	if out, err := goZun(env, "pull", "--wait", "--image-pull-policy", "never", "zun-missing-"+randSuffix()+":v1", host); err == nil || !strings.Contains(out, "pull policy is never") {
		t.Fatalf("pull of a missing image: %v\n%s", err, out)
	}
	if out, err := goZun(env, "pull", repo+":v1", "no-such-host"); err == nil || !strings.Contains(out, "could not be found") {
		t.Fatalf("pull to an unknown host: %v\n%s", err, out)
	}
	if out, err := goZun(env, "image-search", repo); err == nil || !strings.Contains(out, "not supported") {
		t.Fatalf("docker search: %v\n%s", err, out)
	}

	// Commit a changed container into the image service, then run it.
	var c container
	a.Do("POST", "/v1/containers?run=true", map[string]any{"image": repo + ":v1", "command": []string{"sh", "-c", "echo committed > /marker; sleep 300"}}, 202, &c)
	a.WaitStatus(c.UUID, 60*time.Second, "Running")
	time.Sleep(time.Second)
	snap := "snap-" + randSuffix()
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", snap+":v2").Run() })
	out, err = goZun(env, "commit", c.UUID, snap+":v2")
	if err != nil || !strings.Contains(out, "has been accepted") {
		t.Fatalf("commit: %v\n%s", err, out)
	}
	waitFor(t, 60*time.Second, func() bool {
		s, _ := goZun(env, "image-search", "--image-driver", "glance", "--exact-match", snap)
		return strings.Contains(s, "active")
	})
	u := a.runGo(env, "--image-driver", "glance", snap, "cat", "/marker")
	got := a.WaitStatus(u, 60*time.Second, "Stopped", "Error")
	if got.Status != "Stopped" {
		t.Fatalf("committed image run: %s %s", got.Status, deref(got.StatusReason))
	}
	var logs string
	st, b := a.doRaw("GET", "/v1/containers/"+u+"/logs", a.admin, "1.40", nil)
	if logs = string(b); st != 200 || !strings.Contains(logs, "committed") {
		t.Fatalf("logs of the committed image: %d %s", st, logs)
	}
	a.Do("DELETE", "/v1/containers/"+u+"?force=true", nil, 204, nil)

	// Delete: the used image is refused, then removed once unused.
	st, b = a.doRaw("DELETE", "/v1/images/"+imageUUID, a.admin, "1.40", nil)
	if st != 409 {
		t.Fatalf("delete of a used image: %d %s", st, b)
	}
	a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
	a.WaitGone(c.UUID, 30*time.Second)
	if out, err := goZun(env, "image-delete", imageUUID); err != nil {
		t.Fatalf("image-delete: %v\n%s", err, out)
	}
	if imageExists(repo + ":v1") {
		t.Fatal("image still on the engine after image-delete")
	}
	if st, _ := a.doRaw("GET", "/v1/images/"+imageUUID, a.admin, "1.40", nil); st != 404 {
		t.Fatalf("image record after delete: %d", st)
	}
}
