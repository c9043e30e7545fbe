package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCapsuleBenchSmoke runs the capsule benchmark (bench -capsule-only)
// for one measured run of each path, so it keeps working: it must finish
// with both rows measured and nothing left on the engine. Timing numbers
// are not checked (the lead measures on an idle machine).
func TestCapsuleBenchSmoke(t *testing.T) {
	requireDocker(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.md")
	cmd := exec.Command("go", "run", "./test/bench", "-bin", binDir, "-capsule-only", "-quick", "-runs", "1", "-out", out)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench -capsule-only: %v\n%s", err, tail(string(b), 40))
	}
	report := string(b)
	for _, row := range []string{"| capsule (sandbox + 1 init + 2 apps) | 1 |", "| 3 containers one by one | 1 |"} {
		if !strings.Contains(report, row) {
			t.Fatalf("report lacks %q:\n%s", row, tail(report, 40))
		}
	}
	if strings.Contains(report, "failed**") {
		t.Fatalf("report shows a failure:\n%s", tail(report, 40))
	}
	host := regexp.MustCompile(`--host (bench-\S+)`).FindStringSubmatch(report)
	if host == nil {
		t.Fatalf("no all-in-one host in the bench log:\n%s", tail(report, 40))
	}
	if left := docker(t, "ps", "-aq", "--filter", "label=zun.host="+host[1]); left != "" {
		t.Fatalf("bench left containers on %s: %s", host[1], left)
	}
}
