// Package enginetest runs a private Docker engine for tests that must stop,
// kill or restart an engine, or that need a second host's engine: its own
// socket, data root, exec root, pidfile and bridge, optionally inside a
// network namespace. The machine's own engine is never touched, so tests
// using it run beside everything else.
package enginetest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Options shape the engine.
type Options struct {
	// NetNS is the name of a network namespace under /run/netns to run the
	// engine in ("" = the host's). dockerd is started with nsenter --net,
	// not ip netns exec, which would remount /sys and hide the cgroups.
	NetNS string
	// LiveRestore keeps containers running while the engine is down.
	LiveRestore bool
	// BridgeCIDR is the gateway address and prefix of the engine's default
	// bridge (default: a random 10.231.x.1/24).
	BridgeCIDR string
	// NoBridge starts the engine without a default bridge (--bridge none):
	// its containers live only on networks a test gives them.
	NoBridge bool
	// ContainerdNamespace keeps the engine's containers apart from the
	// machine engine's in a shared containerd (default: the engine's own).
	ContainerdNamespace string
}

// Engine is a running private dockerd.
type Engine struct {
	// Host is the engine address for clients (unix://...).
	Host   string
	Socket string

	t        testing.TB
	opts     Options
	id       string
	dir      string
	execRoot string
	bridge   string
	cmd      *exec.Cmd
	done     chan struct{}
	logPath  string
}

// Start starts an engine and registers its removal (containers, mounts,
// bridge, directories) with t.Cleanup. It fails t when dockerd is missing
// or does not answer within a minute.
func Start(t testing.TB, opts Options) *Engine {
	t.Helper()
	if _, err := exec.LookPath("dockerd"); err != nil {
		t.Fatalf("dockerd is not installed: %v", err)
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if opts.BridgeCIDR == "" {
		opts.BridgeCIDR = fmt.Sprintf("10.231.%d.1/24", int(b[0]))
	}
	e := &Engine{t: t, opts: opts, id: id, bridge: "zte" + id,
		// Short paths: containerd's socket lives under the exec root and a
		// unix socket path holds at most 108 bytes.
		dir: filepath.Join("/var/tmp", "zte-"+id), execRoot: filepath.Join("/run", "zte-"+id)}
	e.Socket = filepath.Join(e.execRoot, "docker.sock")
	e.Host = "unix://" + e.Socket
	e.logPath = filepath.Join(e.dir, "dockerd.log")
	for _, d := range []string{e.dir, e.execRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.remove)
	if !opts.NoBridge {
		e.ip("link", "add", e.bridge, "type", "bridge")
		e.ip("addr", "add", opts.BridgeCIDR, "dev", e.bridge)
		e.ip("link", "set", e.bridge, "up")
	}
	e.start()
	return e
}

func (e *Engine) ip(args ...string) {
	e.t.Helper()
	if out, err := e.command("ip", args...).CombinedOutput(); err != nil {
		e.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// command runs name in the engine's network namespace.
func (e *Engine) command(name string, args ...string) *exec.Cmd {
	if e.opts.NetNS == "" {
		return exec.Command(name, args...)
	}
	return exec.Command("nsenter", append([]string{"--net=/run/netns/" + e.opts.NetNS, name}, args...)...)
}

func (e *Engine) start() {
	e.t.Helper()
	args := []string{
		"--host", e.Host,
		"--data-root", filepath.Join(e.dir, "data"),
		"--exec-root", e.execRoot,
		"--pidfile", filepath.Join(e.execRoot, "dockerd.pid"),
		// The host's firewall belongs to the machine's engine.
		"--iptables=false", "--ip-masq=false",
		"--storage-driver", "overlay2",
	}
	if e.opts.NoBridge {
		args = append(args, "--bridge", "none")
	} else {
		args = append(args, "--bridge", e.bridge)
	}
	if ns := e.opts.ContainerdNamespace; ns != "" {
		args = append(args, "--containerd-namespace", ns, "--containerd-plugins-namespace", ns+"-plugins")
	}
	if e.opts.LiveRestore {
		args = append(args, "--live-restore")
	}
	logf, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		e.t.Fatal(err)
	}
	defer logf.Close()
	e.cmd = e.command("dockerd", args...)
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(e.cmd, e.done)
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := e.run("version", "--format", "{{.Server.Version}}"); err == nil {
			return
		}
		select {
		case <-e.done:
			e.t.Fatalf("private dockerd exited at start; log:\n%s", e.logTail())
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("private dockerd did not answer within a minute; log:\n%s", e.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *Engine) logTail() string {
	b, _ := os.ReadFile(e.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Running reports whether the engine process is alive.
func (e *Engine) Running() bool {
	if e.cmd == nil {
		return false
	}
	select {
	case <-e.done:
		return false
	default:
		return true
	}
}

// Stop stops the engine as a service manager does (SIGTERM, wait): without
// live-restore the engine stops its containers first.
func (e *Engine) Stop() { e.signal(syscall.SIGTERM, 2*time.Minute) }

// Kill kills the engine with SIGKILL (its containerd and shims survive, as
// after an engine crash).
func (e *Engine) Kill() { e.signal(syscall.SIGKILL, 30*time.Second) }

func (e *Engine) signal(sig syscall.Signal, wait time.Duration) {
	e.t.Helper()
	if !e.Running() {
		return
	}
	_ = e.cmd.Process.Signal(sig)
	select {
	case <-e.done:
	case <-time.After(wait):
		_ = e.cmd.Process.Kill()
		<-e.done
	}
}

// Restart starts a stopped or killed engine again with the same options.
func (e *Engine) Restart() {
	e.t.Helper()
	if e.Running() {
		e.Stop()
	}
	e.start()
}

// Docker runs the docker CLI against the engine and fails t on error.
func (e *Engine) Docker(args ...string) string {
	e.t.Helper()
	out, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("docker -H %s %s: %v: %s", e.Host, strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs the docker CLI against the engine and returns its output and
// error (for commands a test expects to fail).
func (e *Engine) Try(args ...string) (string, error) { return e.run(args...) }

func (e *Engine) run(args ...string) (string, error) {
	out, err := exec.Command("docker", append([]string{"-H", e.Host}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// CopyImage copies ref from the machine's engine into this one.
func (e *Engine) CopyImage(ref string) {
	e.t.Helper()
	save := exec.Command("docker", "save", ref)
	load := exec.Command("docker", "-H", e.Host, "load")
	pipe, err := save.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	load.Stdin = pipe
	var out bytes.Buffer
	load.Stdout, load.Stderr = &out, &out
	if err := load.Start(); err != nil {
		e.t.Fatal(err)
	}
	if err := save.Run(); err != nil {
		e.t.Fatalf("docker save %s: %v", ref, err)
	}
	if err := load.Wait(); err != nil {
		e.t.Fatalf("docker load into %s: %v: %s", e.Host, err, out.String())
	}
}

// remove deletes every container of the engine, stops it and removes its
// mounts, bridge and directories.
func (e *Engine) remove() {
	if !e.Running() && e.cmd != nil {
		// Bring it back so it can remove what it holds.
		func() {
			defer func() { _ = recover() }()
			e.start()
		}()
	}
	if e.Running() {
		if ids, err := e.run("ps", "-aq"); err == nil && ids != "" {
			_, _ = e.run(append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
		}
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.done:
		case <-time.After(time.Minute):
			_ = e.cmd.Process.Kill()
			<-e.done
		}
	}
	// containerd of the engine exits with it; make sure nothing of ours is
	// left mounted (overlay layers, shm, netns files), deepest first.
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		var mounts []string
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) > 4 && (strings.HasPrefix(f[4], e.dir) || strings.HasPrefix(f[4], e.execRoot)) {
				mounts = append(mounts, f[4])
			}
		}
		for i := len(mounts) - 1; i >= 0; i-- {
			_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
		}
	}
	if !e.opts.NoBridge {
		_ = e.command("ip", "link", "del", e.bridge).Run()
	}
	_ = os.RemoveAll(e.execRoot)
	_ = os.RemoveAll(e.dir)
}
