package keystonetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// AdminPassword is the password of the bootstrap user "admin" (project
// "admin", domain Default, role admin).
const AdminPassword = "keystonetest-admin-secret"

// Region is the region of the bootstrap identity endpoints.
const Region = "RegionOne"

// Keystone is a running throwaway Keystone.
type Keystone struct {
	// URL is the identity v3 root, http://127.0.0.1:PORT/v3.
	URL string
	dir string
	cmd *exec.Cmd
	log *bytes.Buffer
	mu  *sync.Mutex // guards log and admin
	// admin is a cached admin token.
	admin string
	// done is closed when the server process has exited.
	done chan struct{}
}

// Launch starts a Keystone in a new temporary directory and waits until it
// answers. The caller must Stop it.
func Launch(ctx context.Context) (*Keystone, error) {
	for _, bin := range []string{"keystone-manage", "keystone-wsgi-public"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%s not found: install Debian's keystone package (scripts/setup.sh does): %w", bin, err)
		}
	}
	dir, err := os.MkdirTemp("", "keystonetest-")
	if err != nil {
		return nil, err
	}
	k, err := launch(ctx, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return k, nil
}

func launch(ctx context.Context, dir string) (*Keystone, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "keystone.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[DEFAULT]
log_dir = %[1]s
[database]
connection = sqlite:///%[1]s/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = %[1]s/fernet-keys
[fernet_receipts]
key_repository = %[1]s/fernet-keys
[credential]
key_repository = %[1]s/credential-keys
`, dir)), 0o600); err != nil {
		return nil, err
	}
	// fernet_receipts (multi-factor receipts) has a key repository of its
	// own, /etc/keystone/fernet-keys/ unless set, which bootstrap checks:
	// it exists only where someone ran fernet_setup for the system's
	// Keystone. What keystone-manage fernet_setup and credential_setup write: a
	// staged key "0" and a primary key "1", each 32 random bytes in
	// URL-safe base64 (cryptography's Fernet.generate_key). Writing them
	// here saves two Python start-ups per Keystone.
	for _, repo := range []string{"fernet-keys", "credential-keys"} {
		if err := writeKeys(filepath.Join(dir, repo)); err != nil {
			return nil, err
		}
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/v3", port)
	if err := manage(ctx, dir, conf, "db_sync"); err != nil {
		return nil, err
	}
	// Keystone's requests sometimes hold a read transaction on a second
	// pooled connection while committing on the first; with SQLite's
	// default rollback journal that commit fails with "database is
	// locked" (a 500). In WAL mode readers never block a commit. The mode
	// is stored in the database file.
	wal := exec.CommandContext(ctx, "python3", "-c",
		"import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('pragma journal_mode=wal').fetchone()[0])",
		filepath.Join(dir, "keystone.db"))
	if out, err := wal.CombinedOutput(); err != nil || string(bytes.TrimSpace(out)) != "wal" {
		return nil, fmt.Errorf("failed to set WAL mode: %v: %s", err, out)
	}
	for _, args := range [][]string{
		{"bootstrap", "--bootstrap-password", AdminPassword,
			"--bootstrap-admin-url", url, "--bootstrap-internal-url", url, "--bootstrap-public-url", url,
			"--bootstrap-region-id", Region},
	} {
		if err := manage(ctx, dir, conf, args...); err != nil {
			return nil, err
		}
	}
	k := &Keystone{URL: url, dir: dir, log: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	k.cmd = exec.Command("keystone-wsgi-public", "--host", "127.0.0.1", "--port", strconv.Itoa(port))
	k.cmd.Dir = dir
	k.cmd.Env = append(os.Environ(), "OS_KEYSTONE_CONFIG_FILES="+conf)
	k.cmd.Stdout, k.cmd.Stderr = lockedWriter{k}, lockedWriter{k}
	// Its own process group (Stop signals the group) and killed with the
	// test binary.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := k.cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start keystone-wsgi-public: %w", err)
	}
	go func() { _ = k.cmd.Wait(); close(k.done) }()
	// A loaded machine (CI runs many test binaries at once) can take a
	// minute to import Keystone.
	if err := k.waitReady(ctx, 3*time.Minute); err != nil {
		k.kill()
		return nil, err
	}
	return k, nil
}

func manage(ctx context.Context, dir, conf string, args ...string) error {
	cmd := exec.CommandContext(ctx, "keystone-manage", append([]string{"--config-file", conf}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("keystone-manage %s: %w: %s", args[0], err, tailOf(out))
	}
	return nil
}

type lockedWriter struct{ k *Keystone }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.k.mu.Lock()
	defer w.k.mu.Unlock()
	if w.k.log.Len() < 1<<20 {
		w.k.log.Write(b)
	}
	return len(b), nil
}

// Log returns the server's output so far (its request log) and the
// log files in its directory (where tracebacks go).
func (k *Keystone) Log() string {
	var out string
	files, _ := filepath.Glob(filepath.Join(k.dir, "*.log"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			out += "==> " + filepath.Base(f) + " <==\n" + tailOf(b) + "\n"
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return out + "==> output <==\n" + k.log.String()
}

func (k *Keystone) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(k.URL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-k.done:
			return fmt.Errorf("keystone-wsgi-public exited: %s", tailOf([]byte(k.Log())))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("keystone not ready at %s after %s: %s", k.URL, timeout, tailOf([]byte(k.Log())))
}

func (k *Keystone) kill() {
	select {
	case <-k.done:
		return
	default:
	}
	_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
		<-k.done
	}
}

// Stop ends the server and removes its directory.
func (k *Keystone) Stop() error {
	k.kill()
	return os.RemoveAll(k.dir)
}

// Start starts a Keystone for t alone, stopped when t ends.
func Start(t testing.TB) *Keystone {
	t.Helper()
	k, err := Launch(context.Background())
	if err != nil {
		t.Fatalf("keystonetest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("keystone log:\n%s", tailOf([]byte(k.Log())))
		}
		if err := k.Stop(); err != nil {
			t.Errorf("keystonetest: %v", err)
		}
	})
	return k
}

var shared struct {
	sync.Mutex
	k   *Keystone
	err error
}

// Shared returns the Keystone shared by the test binary, starting it on
// first use. Tests sharing it must use names of their own.
func Shared(t testing.TB) *Keystone {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.k == nil && shared.err == nil {
		shared.k, shared.err = Launch(context.Background())
	}
	if shared.err != nil {
		t.Fatalf("keystonetest: %v", shared.err)
	}
	return shared.k
}

// StopShared stops the shared Keystone, if one was started.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.k != nil {
		_ = shared.k.Stop()
		shared.k = nil
	}
}

func writeKeys(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range []string{"0", "1"} {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(base64.URLEncoding.EncodeToString(b[:])), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tailOf(b []byte) string {
	const n = 4000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

var errStatus = errors.New("unexpected status")
