package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultBinDir is where Debian's postgresql-15 package installs the server.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// ErrNoBinaries means the PostgreSQL server binaries are not installed.
var ErrNoBinaries = errors.New("postgresql server binaries not found")

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	dir  string // temp dir: data/, socket, log
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
	err  error         // wait error, valid after done

	admin *sql.DB // connection to the "postgres" database
	seq   atomic.Int64
}

// binDir finds the directory of initdb and postgres.
func binDir() (string, error) {
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		return d, nil
	}
	if _, err := os.Stat(filepath.Join(DefaultBinDir, "initdb")); err == nil {
		return DefaultBinDir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("%w in %s or $PATH (install postgresql-15 or set PGTEST_BINDIR)", ErrNoBinaries, DefaultBinDir)
}

// runAs returns the credential to run the server with: the postgres user
// when we are root (created if missing), nil otherwise.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		out, cerr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres").CombinedOutput()
		if cerr != nil {
			return nil, fmt.Errorf("failed to create the postgres user: %w: %s", cerr, out)
		}
		if u, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("failed to look up the postgres user: %w", err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("bad uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("bad gid of postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartCluster initializes and starts a cluster in a new temp directory.
func StartCluster(ctx context.Context) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("failed to create cluster dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("failed to write owner file: %w", err)
	}
	c := &Cluster{dir: dir}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("failed to chown cluster dir: %w", err)
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", c.dataDir(), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb failed: %w: %s", err, out)
	}
	var lastErr error
	for range 3 { // another process may grab the free port first
		if lastErr = c.start(ctx, bin, cred); lastErr == nil {
			ok = true
			return c, nil
		}
	}
	return nil, lastErr
}

func (c *Cluster) dataDir() string { return filepath.Join(c.dir, "data") }
func (c *Cluster) logFile() string { return filepath.Join(c.dir, "postgres.log") }

// start runs the postmaster on a free port and waits until it accepts
// connections.
func (c *Cluster) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("failed to find a free port: %w", err)
	}
	return c.startOn(ctx, bin, cred, port)
}

// Halt kills the server at once (SIGQUIT, PostgreSQL's immediate
// shutdown: no checkpoint, connections cut), keeping its data: a database
// outage. Resume brings it back on the same port.
func (c *Cluster) Halt() {
	if c.admin != nil {
		_ = c.admin.Close()
		c.admin = nil
	}
	c.kill()
}

// Resume restarts a halted server on its port, recovering from its WAL.
func (c *Cluster) Resume(ctx context.Context) error {
	bin, err := binDir()
	if err != nil {
		return err
	}
	cred, err := runAs()
	if err != nil {
		return err
	}
	return c.startOn(ctx, bin, cred, c.port)
}

func (c *Cluster) startOn(ctx context.Context, bin string, cred *syscall.Credential, port int) error {
	logf, err := os.OpenFile(c.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("failed to open server log: %w", err)
	}
	defer logf.Close()
	// fsync off is safe for a test (the machine does not crash), but commits
	// stay synchronous: Halt kills the server, and an asynchronous commit
	// acknowledged before it would be lost, which no real deployment does.
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", c.dataDir(),
		"-k", c.dir, "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=400", "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning")
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGQUIT is PostgreSQL's immediate shutdown: the server goes down
	// with the test binary even if it dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start postgres: %w", err)
	}
	c.cmd, c.port, c.done = cmd, port, make(chan struct{})
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()

	admin, err := sql.Open("pgx", c.dsn("postgres"))
	if err != nil {
		c.kill()
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = admin.PingContext(pctx)
		cancel()
		if err == nil {
			c.admin = admin
			return nil
		}
		select {
		case <-c.done:
			_ = admin.Close()
			return fmt.Errorf("postgres exited during startup (%v): %s", c.err, c.logTail())
		case <-ctx.Done():
			_ = admin.Close()
			c.kill()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = admin.Close()
			c.kill()
			return fmt.Errorf("postgres did not accept connections within 60s (%v): %s", err, c.logTail())
		}
	}
}

func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(c.logFile())
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

func (c *Cluster) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// CreateDatabase creates a new empty database and returns its DSN and name.
func (c *Cluster) CreateDatabase(ctx context.Context) (dsn, name string, err error) {
	name = fmt.Sprintf("test_%d_%d", os.Getpid(), c.seq.Add(1))
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", fmt.Errorf("failed to create database %s: %w", name, err)
	}
	return c.dsn(name), name, nil
}

// DropDatabase drops a database made by CreateDatabase, closing its
// remaining connections.
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("failed to drop database %s: %w", name, err)
	}
	return nil
}

func (c *Cluster) kill() {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	}
}

// Stop shuts the server down (fast shutdown) and removes its directory.
func (c *Cluster) Stop() error {
	if c.admin != nil {
		_ = c.admin.Close()
	}
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			c.kill()
		}
	}
	return os.RemoveAll(c.dir)
}

// ownerFile holds the pid of the test binary that made a cluster dir.
const ownerFile = "owner.pid"

// removeStale removes the cluster dirs of test binaries that died without
// cleaning up (their servers died with them: parent-death signal).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pgtest-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(d)
		}
	}
}
