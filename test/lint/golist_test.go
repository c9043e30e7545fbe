package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pkg is the part of `go list -json` output the rules read.
type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	Standard   bool
	Imports    []string // direct imports of the non-test files
	Deps       []string // transitive imports of the non-test files
	Error      *struct{ Err string }
}

// graph is the package graph of the module and everything it imports.
type graph struct {
	module string          // module path, e.g. github.com/openzun/zun
	pkgs   map[string]*pkg // by import path
	local  []string        // import paths of the module's own packages, sorted as go list emits them
}

// rel returns the module-relative path of a package of the module ("api",
// "internal/scheduler/filters") and false for any other package.
func (g *graph) rel(importPath string) (string, bool) {
	if importPath == g.module {
		return ".", true
	}
	r, ok := strings.CutPrefix(importPath, g.module+"/")
	return r, ok
}

// isStd reports whether importPath is a standard-library package.
func (g *graph) isStd(importPath string) bool {
	if p, ok := g.pkgs[importPath]; ok {
		return p.Standard
	}
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}

// chain returns the shortest import chain from one package to another, for
// messages that say how a forbidden package got in.
func (g *graph) chain(from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var path []string
			for n := to; n != ""; n = prev[n] {
				path = append(path, n)
			}
			for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
				path[i], path[j] = path[j], path[i]
			}
			return strings.Join(path, " -> ")
		}
		p, ok := g.pkgs[cur]
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return from + " -> ... -> " + to
}

// loadGraph runs `go list -e -deps -json ./...` at the module root. Packages
// that do not compile are still listed with their imports (-e), so the
// boundaries are checked even while a package is broken; the compiler
// reports the breakage.
func loadGraph(t *testing.T) *graph {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found on PATH: %v", err)
	}
	gomod := strings.TrimSpace(run(t, goBin, ".", "env", "GOMOD"))
	if gomod == "" || gomod == "/dev/null" {
		t.Fatalf("not inside a Go module (go env GOMOD = %q)", gomod)
	}
	root := filepath.Dir(gomod)
	module := strings.TrimSpace(run(t, goBin, root, "list", "-m", "-f", "{{.Path}}"))
	out := run(t, goBin, root, "list", "-e", "-deps",
		"-json=ImportPath,Name,Doc,Standard,Imports,Deps,Error", "./...")
	g, err := parseGraph(module, strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse go list output: %v", err)
	}
	if len(g.local) == 0 {
		t.Fatalf("go list found no packages of module %s in %s", module, root)
	}
	return g
}

// parseGraph decodes the stream of JSON objects go list prints.
func parseGraph(module string, r io.Reader) (*graph, error) {
	g := &graph{module: module, pkgs: map[string]*pkg{}}
	dec := json.NewDecoder(r)
	for {
		var p pkg
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to decode package: %w", err)
		}
		g.pkgs[p.ImportPath] = &p
		if _, ok := g.rel(p.ImportPath); ok {
			g.local = append(g.local, p.ImportPath)
		}
	}
	return g, nil
}

func run(t *testing.T, goBin, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), goBin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
