package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmuxTerm is a terminal a person would type into: a detached tmux
// session running bash with the given environment.
type tmuxTerm struct {
	t    *testing.T
	name string
}

func startTmux(t *testing.T, env []string, width, height int) *tmuxTerm {
	t.Helper()
	requireTool(t, "tmux")
	var rc strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&rc, "export %s=%s\n", k, shellQuote(v))
	}
	rc.WriteString("export PS1='tmux$ ' TERM=xterm\n")
	file := filepath.Join(t.TempDir(), "rc")
	if err := os.WriteFile(file, []byte(rc.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := &tmuxTerm{t: t, name: "zun-e2e-" + uniqueHost()}
	out, err := exec.Command("tmux", "new-session", "-d", "-s", tm.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height),
		"bash --noprofile --rcfile "+file+" -i").CombinedOutput()
	if err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("terminal:\n%s", tm.capture())
		}
		_ = exec.Command("tmux", "kill-session", "-t", tm.name).Run()
	})
	tm.waitFor("tmux$ ", 10*time.Second)
	return tm
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (tm *tmuxTerm) tmux(args ...string) {
	tm.t.Helper()
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
}

// typeText types text literally; typeLine also presses Enter.
func (tm *tmuxTerm) typeText(text string) { tm.tmux("send-keys", "-t", tm.name, "-l", text) }
func (tm *tmuxTerm) typeLine(text string) {
	tm.typeText(text)
	tm.tmux("send-keys", "-t", tm.name, "Enter")
}

func (tm *tmuxTerm) resize(width, height int) {
	tm.tmux("resize-window", "-t", tm.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height))
}

func (tm *tmuxTerm) capture() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-J", "-S", "-200", "-t", tm.name).Output()
	return string(out)
}

// waitFor waits until the screen shows s (count times in all).
func (tm *tmuxTerm) waitFor(s string, timeout time.Duration) {
	tm.t.Helper()
	tm.waitForN(s, 1, timeout)
}

func (tm *tmuxTerm) waitForN(s string, n int, timeout time.Duration) {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Count(tm.capture(), s) >= n {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("terminal never showed %q (x%d):\n%s", s, n, tm.capture())
}

// killForeground ends the command running in the terminal's shell (the
// shell's children, found by the pane's process id).
func (tm *tmuxTerm) killForeground() {
	tm.t.Helper()
	out, err := exec.Command("tmux", "list-panes", "-t", tm.name, "-F", "#{pane_pid}").Output()
	if err != nil {
		tm.t.Fatal(err)
	}
	pid := strings.TrimSpace(string(out))
	kids, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	if err != nil {
		tm.t.Fatal(err)
	}
	for _, k := range strings.Fields(string(kids)) {
		var n int
		if _, err := fmt.Sscan(k, &n); err == nil {
			_ = syscall.Kill(n, syscall.SIGTERM)
		}
	}
}

// backAtShell checks that the local shell reads commands again (the
// client exited and gave the terminal back).
func (tm *tmuxTerm) backAtShell() {
	tm.t.Helper()
	// A client may still read the terminal for a moment while it quits:
	// type again until the shell answers.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tm.typeLine("echo shell-$((40+2))-back")
		for range 20 {
			if strings.Contains(tm.capture(), "shell-42-back") {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	tm.t.Fatalf("the shell never came back:\n%s", tm.capture())
}

// clearScreen clears the screen and the scroll-back, so later waits see
// only new output.
func (tm *tmuxTerm) clearScreen() {
	tm.t.Helper()
	tm.typeLine("clear")
	time.Sleep(300 * time.Millisecond)
	tm.tmux("clear-history", "-t", tm.name)
}
