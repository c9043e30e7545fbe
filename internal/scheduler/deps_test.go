package scheduler_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportBoundaries enforces the package contract: the scheduler sees the
// world through Source and Claimer, never a concrete store, a transport or
// the container driver (style rule 2).
func TestImportBoundaries(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	forbidden := []string{
		"github.com/openzun/zun/internal/store/sqlstore",
		"github.com/openzun/zun/internal/bus",
		"github.com/openzun/zun/internal/container",
		"database/sql",
		"github.com/moby/",
		"github.com/nats-io/",
	}
	pkgs := []string{".", "./filters", "./weighers", "./schedcore", "./schedtest"}
	out, err := exec.Command(goTool, append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
				t.Errorf("scheduler packages depend on %s", dep)
			}
		}
	}
	// net/http comes in through errdefs (status codes) but the scheduler
	// itself must not speak HTTP.
	out, err = exec.Command(goTool, append([]string{"list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), ": ")
		for imp := range strings.FieldsSeq(imports) {
			if imp == "net/http" {
				t.Errorf("%s imports net/http", pkg)
			}
		}
	}
}

// TestFiltersDoNotReadTheClock: decisions take their time from the snapshot.
func TestFiltersDoNotReadTheClock(t *testing.T) {
	for _, dir := range []string{"filters", "weighers", "schedcore"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "time.Now(") {
				t.Errorf("%s reads the clock", f)
			}
		}
	}
}
