// Package needs checks a test machine's capabilities (root, a Docker
// engine, loop devices, installed tools). A missing capability skips the
// test on a developer's machine; under CI (the CI environment variable
// set, as .ci/run does), where scripts/setup.sh installs and starts
// everything, it fails the test instead, so a broken set-up can never pass
// as skipped tests. A feature that does not work is never a reason to
// call these.
package needs

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// DockerSocket is the machine engine's socket.
const DockerSocket = "/var/run/docker.sock"

// missing skips t, or fails it under CI.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("CI machine lacks a capability the tests need: %s", msg)
	}
	t.Skip(msg)
}

// Root requires running as root.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root")
	}
}

// Docker requires root and the machine's Docker engine answering.
func Docker(t testing.TB) {
	t.Helper()
	Root(t)
	if _, err := os.Stat(DockerSocket); err != nil {
		missing(t, "needs a Docker engine at %s: %v", DockerSocket, err)
	}
	if err := exec.Command("docker", "version").Run(); err != nil {
		missing(t, "the Docker engine does not answer: %v", err)
	}
}

// Binaries requires the named programs on PATH.
func Binaries(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			missing(t, "needs %s (scripts/setup.sh installs it)", n)
		}
	}
}

// LoopDevices requires root and the kernel's loop driver.
func LoopDevices(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		missing(t, "this machine gives no loop devices to the tests (root and /dev/loop-control needed): %v", err)
		return
	}
	f.Close()
}
