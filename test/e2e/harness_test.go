package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/testutil/needs"
)

var binDir string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "zun-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/...")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building binaries:", err)
		return 1
	}
	binDir = dir
	defer removeTestLeftovers()
	return m.Run()
}

// removeTestLeftovers removes what failed tests of this run left on the
// machine's engine: containers of test hosts (their all-in-ones are gone,
// so nothing else would) and the plugin sockets of agents killed with
// SIGKILL. Docker networks of test plugins are left alone: with their
// plugin gone the engine takes minutes to refuse each removal.
func removeTestLeftovers() {
	out, _ := exec.Command("docker", "ps", "-a", "--filter", "label=zun.host", "--format", `{{.ID}} {{.Label "zun.host"}}`).Output()
	var ids []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[1], "e2e-") {
			ids = append(ids, f[0])
		}
	}
	if len(ids) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: removing %d engine containers left by failed tests\n", len(ids))
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
	socks, _ := filepath.Glob("/run/docker/plugins/zun-e2e-*.sock")
	for _, s := range socks {
		_ = os.Remove(s)
	}
}

// requireDocker needs root and the machine's Docker engine (needs.Docker:
// skipped on a machine without them, a failure under CI).
func requireDocker(t testing.TB) { t.Helper(); needs.Docker(t) }

// uniqueHost names a compute host no other test (or test binary) uses, so
// agents sharing the engine never reconcile each other's containers.
func uniqueHost() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "e2e-" + hex.EncodeToString(b[:])
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a running service binary.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

func (p *proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (p *proc) write(b []byte) {
	p.mu.Lock()
	p.logs.Write(b)
	p.mu.Unlock()
}

func startProc(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	return startProcWith(t, nil, name, args...)
}

// startProcWith runs a binary of this build; wrap (e.g. nsenter into a
// second host's namespace) prefixes the command line.
func startProcWith(t testing.TB, wrap []string, name string, args ...string) *proc {
	t.Helper()
	if name == "zun-compute" && !slices.Contains(args, "--docker-plugin-name") {
		// Never take the Docker network plugin socket of a running
		// all-in-one (zun) or of another agent; an agent started again
		// with the same --host keeps its plugin (and so its Docker
		// networks and data plane namespace), as a real restart does.
		plugin := "zun-" + uniqueHost()
		if i := slices.Index(args, "--host"); i >= 0 && i+1 < len(args) {
			plugin = "zun-" + args[i+1]
		}
		args = append(slices.Clip(args), "--docker-plugin-name", plugin)
	}
	argv := append(slices.Clip(wrap), filepath.Join(binDir, name))
	argv = append(argv, args...)
	p := &proc{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.write(append(sc.Bytes(), '\n'))
		}
	}()
	go func() { _ = p.cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() {
		removeDockerNetworks(args)
		p.stop(syscall.SIGTERM)
		removeDataPlane(args)
		if t.Failed() {
			t.Logf("%s log (requests left out):\n%s", name, tail(withoutRequests(p.Log()), 400))
		}
	})
	return p
}

// removeDockerNetworks removes the root engine's networks of a test
// agent's plugin that no container uses, while the plugin still answers.
func removeDockerNetworks(args []string) {
	i := slices.Index(args, "--docker-plugin-name")
	if i < 0 || i+1 >= len(args) || slices.Contains(args, "--docker-host") {
		return
	}
	out, _ := exec.Command("docker", "network", "ls", "-q", "--filter", "driver="+args[i+1]).Output()
	for _, id := range strings.Fields(string(out)) {
		_ = exec.Command("docker", "network", "rm", id).Run()
	}
}

// removeDataPlane deletes the data plane and router namespaces an agent
// of this test left (they outlive an agent by design, so containers keep
// their network across an agent restart).
func removeDataPlane(args []string) {
	i := slices.Index(args, "--docker-plugin-name")
	if i < 0 || i+1 >= len(args) {
		return
	}
	dp, routerPrefix := config.AgentNetworkConfig{DockerPluginName: args[i+1]}.DataPlaneNames()
	if dp == "" {
		return // the default plugin's: never a test's
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name != "" && (name == dp || routerPrefix != "" && strings.HasPrefix(name, routerPrefix)) {
			_ = exec.Command("ip", "netns", "del", name).Run()
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *proc) stop(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// kill9 kills the process hard, as a crash would.
func (p *proc) kill9() { p.stop(syscall.SIGKILL) }

// aio is a running all-in-one.
type aio struct {
	t       testing.TB
	URL     string
	DataDir string
	Proc    *proc
	args    []string
	admin   string // admin token
}

func startAIO(t testing.TB, extra ...string) *aio {
	t.Helper()
	dir := t.TempDir()
	return startAIOAt(t, dir, freePort(t), extra...)
}

func startAIOAt(t testing.TB, dir, addr string, extra ...string) *aio {
	t.Helper()
	// A plugin name of its own: the agent's Docker network plugin never
	// takes the socket of a running all-in-one's (zun).
	args := append([]string{"--all-in-one", "--data-dir", dir, "--listen", addr, "--sync-interval", "5s", "--host", uniqueHost(),
		"--wsproxy-listen", "127.0.0.1:0", "--docker-plugin-name", "zun-" + uniqueHost()}, extra...)
	a := &aio{t: t, URL: "http://" + addr, DataDir: dir, args: args}
	a.Proc = startProc(t, "zun-api", args...)
	a.waitReady()
	a.admin = a.Token("admin", a.AdminPassword(), "admin")
	return a
}

// Restart starts the all-in-one again on the same data dir and address.
func (a *aio) Restart() {
	a.t.Helper()
	a.Proc = startProc(a.t, "zun-api", a.args...)
	a.waitReady()
	a.admin = a.Token("admin", a.AdminPassword(), "admin")
}

func (a *aio) waitReady() {
	a.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(a.URL + "/")
		if err == nil {
			resp.Body.Close()
			if a.hostUp() {
				return
			}
		}
		select {
		case <-a.Proc.done:
			a.t.Fatalf("zun-api exited:\n%s", tail(a.Proc.Log(), 40))
		case <-time.After(200 * time.Millisecond):
		}
	}
	a.t.Fatalf("zun-api not ready:\n%s", tail(a.Proc.Log(), 40))
}

// hostUp reports whether a compute service has registered (or the
// all-in-one runs without one).
func (a *aio) hostUp() bool {
	for _, s := range a.args {
		if s == "--embedded-compute=false" {
			return true
		}
	}
	tok, err := a.tryToken("admin", a.AdminPassword(), "admin")
	if err != nil {
		return false
	}
	st, body := a.doRaw("GET", "/v1/hosts", tok, "1.40", nil)
	if st != 200 {
		return false
	}
	var l struct{ Hosts []any }
	_ = json.Unmarshal(body, &l)
	return len(l.Hosts) > 0
}

func (a *aio) AdminPassword() string {
	b, err := os.ReadFile(filepath.Join(a.DataDir, "admin-password"))
	if err != nil {
		a.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func (a *aio) tryToken(user, password, project string) (string, error) {
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"domain":{"name":"Default"},"password":%q}}},"scope":{"project":{"name":%q,"domain":{"name":"Default"}}}}}`, user, password, project)
	resp, err := http.Post(a.URL+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("auth: %d %s", resp.StatusCode, b)
	}
	return resp.Header.Get("X-Subject-Token"), nil
}

// Token authenticates and returns a project-scoped token.
func (a *aio) Token(user, password, project string) string {
	a.t.Helper()
	tok, err := a.tryToken(user, password, project)
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

func (a *aio) doRaw(method, path, token, version string, body any) (int, []byte) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, a.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if version != "" {
		req.Header.Set("OpenStack-API-Version", "container "+version)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Do sends a request as admin at the latest microversion and decodes the
// JSON answer into out (if not nil), failing unless the status is want.
func (a *aio) Do(method, path string, body any, want int, out any) {
	a.t.Helper()
	a.DoAs(a.admin, method, path, body, want, out)
}

func (a *aio) DoAs(token, method, path string, body any, want int, out any) {
	a.t.Helper()
	st, b := a.doRaw(method, path, token, "1.40", body)
	if st != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
}

// container is the subset of the container view tests read.
type container struct {
	UUID         string            `json:"uuid"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	StatusReason *string           `json:"status_reason"`
	TaskState    *string           `json:"task_state"`
	Host         *string           `json:"host"`
	CPU          float64           `json:"cpu"`
	Memory       string            `json:"memory"`
	Labels       map[string]string `json:"labels"`
	ProjectID    string            `json:"project_id"`
}

func (a *aio) Get(uuid string) container {
	a.t.Helper()
	var c container
	a.Do("GET", "/v1/containers/"+uuid, nil, 200, &c)
	return c
}

// WaitStatus waits until the container reaches one of statuses with no
// task running.
func (a *aio) WaitStatus(uuid string, timeout time.Duration, statuses ...string) container {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	var c container
	for time.Now().Before(deadline) {
		c = a.Get(uuid)
		for _, s := range statuses {
			if c.Status == s && c.TaskState == nil {
				return c
			}
		}
		time.Sleep(150 * time.Millisecond)
	}
	a.t.Fatalf("container %s: status %s (task %v, reason %v), want %v", uuid, c.Status, deref(c.TaskState), deref(c.StatusReason), statuses)
	return c
}

// WaitGone waits until GET answers 404.
func (a *aio) WaitGone(uuid string, timeout time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		st, _ := a.doRaw("GET", "/v1/containers/"+uuid, a.admin, "1.40", nil)
		if st == 404 {
			return
		}
		time.Sleep(150 * time.Millisecond)
	}
	a.t.Fatalf("container %s still exists", uuid)
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// docker runs the docker CLI (tests only inspect the engine with it; the
// services never use it).
func docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := boundedOutput(exec.Command("docker", args...))
	if err != nil {
		t.Fatalf("docker %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// engineContainers lists the Docker containers Zun manages whose uuid label
// is in uuids' project (all when project is "").
func engineContainers(t *testing.T) map[string]string {
	t.Helper()
	out := docker(t, "ps", "-a", "--filter", "label=zun.managed=true", "--format", `{{.Label "zun.uuid"}} {{.State}}`)
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}

func (a *aio) doRawHeaders(method, path, token, version string) (http.Header, int) {
	req, _ := http.NewRequest(method, a.URL+path, nil)
	req.Header.Set("X-Auth-Token", token)
	if version != "" {
		req.Header.Set("OpenStack-API-Version", "container "+version)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header, resp.StatusCode
}

func withoutRequests(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "msg=request ") || strings.Contains(l, "status=5") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// cmdTimeout bounds each client or engine command a test runs through
// boundedOutput: one that hangs fails its test with what it printed,
// instead of stalling the whole package until go test's timeout.
const cmdTimeout = 3 * time.Minute

// boundedOutput is cmd.CombinedOutput, killing cmd after cmdTimeout.
func boundedOutput(cmd *exec.Cmd) ([]byte, error) {
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	cmd.WaitDelay = 5 * time.Second // a child holding the output open
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	timer := time.AfterFunc(cmdTimeout, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		return b.Bytes(), fmt.Errorf("%s killed after %v: %w", filepath.Base(cmd.Path), cmdTimeout, err)
	}
	return b.Bytes(), err
}
