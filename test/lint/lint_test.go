package lint

import (
	"slices"
	"strings"
	"testing"
)

// TestImportBoundaries enforces the dependency rules of docs/development.md
// on the real package graph.
func TestImportBoundaries(t *testing.T) {
	g := loadGraph(t)
	for _, path := range g.local {
		if p := g.pkgs[path]; p.Error != nil {
			t.Logf("note: %s does not load cleanly (the compiler reports it): %s", path, p.Error.Err)
		}
	}
	violations, applied := checkBoundaries(g)
	for _, r := range rules() {
		if applied[r.name] == 0 {
			t.Logf("%s: no packages in scope yet; the rule holds vacuously", r.name)
		} else {
			t.Logf("%s: checked %d packages", r.name, applied[r.name])
		}
	}
	for _, v := range violations {
		t.Error(v)
	}
}

// TestPackageDocs requires a package doc comment (conventionally in doc.go)
// on every package under internal/, saying what the package does and what it
// must not import.
func TestPackageDocs(t *testing.T) {
	g := loadGraph(t)
	if missing := missingDocs(g); len(missing) > 0 {
		t.Errorf("%d packages under internal/ have no package doc comment (add a doc.go):\n\t%s",
			len(missing), strings.Join(missing, "\n\t"))
	}
}

// TestRulesCatchViolations runs the rules on a synthetic graph, so a rule
// that silently stopped matching would be noticed.
func TestRulesCatchViolations(t *testing.T) {
	const m = "example.com/zun"
	std := func(path string, imports ...string) *pkg {
		return &pkg{ImportPath: path, Name: path, Standard: true, Imports: imports}
	}
	ext := func(path string) *pkg { return &pkg{ImportPath: path, Name: "x"} }
	local := func(rel, doc string, imports ...string) *pkg {
		full := make([]string, len(imports))
		for i, imp := range imports {
			if strings.HasPrefix(imp, "./") {
				imp = m + "/" + strings.TrimPrefix(imp, "./")
			}
			full[i] = imp
		}
		return &pkg{ImportPath: m + "/" + rel, Name: "x", Doc: doc, Imports: full}
	}

	tests := []struct {
		name    string
		pkgs    []*pkg
		want    []string // substrings, one per expected violation, in order
		missing []string // packages expected without doc
	}{
		{
			name: "clean graph",
			pkgs: []*pkg{
				std("fmt"), std("net/http", "fmt"),
				local("api", "d", "fmt"),
				local("internal/errdefs", "d", "net/http"),
				local("client", "", "./api", "net/http"),
				local("internal/cli", "d", "./client"),
				local("cmd/zun", "", "./internal/cli"),
				local("internal/scheduler", "d", "./internal/errdefs"),
				local("internal/scheduler/schedtest", "d", "./internal/store/sqlstore"),
				local("internal/store/sqlstore", "d", "modernc.org/sqlite"),
				ext("modernc.org/sqlite"),
			},
		},
		{
			name: "api imports a module",
			pkgs: []*pkg{local("api", "d", "github.com/google/uuid"), ext("github.com/google/uuid")},
			want: []string{"api-stdlib-only: api: imports non-standard package example.com/zun/api -> github.com/google/uuid"},
		},
		{
			name: "cli reaches internal and docker through client",
			pkgs: []*pkg{
				local("cmd/zun", "", "./internal/cli"),
				local("internal/cli", "d", "./client"),
				local("client", "", "./internal/errdefs", "github.com/moby/moby/client"),
				local("internal/errdefs", "d"),
				ext("github.com/moby/moby/client"),
			},
			want: []string{
				"client-cli-no-internals: client: imports internal package",
				"client-cli-no-internals: client: imports backend",
				"client-cli-no-internals: cmd/zun: imports internal package example.com/zun/cmd/zun -> example.com/zun/internal/cli -> example.com/zun/client -> example.com/zun/internal/errdefs",
				"client-cli-no-internals: cmd/zun: imports backend",
				"client-cli-no-internals: internal/cli: imports internal package",
				"client-cli-no-internals: internal/cli: imports backend",
			},
		},
		{
			name: "scheduler reaches store, transport and nats",
			pkgs: []*pkg{
				std("net/http"),
				local("internal/scheduler", "d", "./internal/store/sqlstore", "./internal/zunhttp", "github.com/nats-io/nats.go"),
				local("internal/store/sqlstore", "d"),
				local("internal/zunhttp", "d", "net/http"),
				ext("github.com/nats-io/nats.go"),
			},
			want: []string{
				"scheduler-pure: internal/scheduler: imports NATS",
				"scheduler-pure: internal/scheduler: imports example.com/zun/internal/scheduler -> example.com/zun/internal/store/sqlstore",
				"scheduler-pure: internal/scheduler: imports transport net/http via example.com/zun/internal/scheduler -> example.com/zun/internal/zunhttp",
			},
			missing: nil,
		},
		{
			name: "scheduler imports net/http itself",
			pkgs: []*pkg{std("net/http"), local("internal/scheduler/filters", "d", "net/http")},
			want: []string{"scheduler-pure: internal/scheduler/filters: imports transport net/http"},
		},
		{
			name: "keystone validator reaches the store",
			pkgs: []*pkg{
				local("internal/keystone", "d", "./internal/zunctx"),
				local("internal/zunctx", "d", "./internal/store"),
				local("internal/store", "d"),
			},
			want: []string{"keystone-client-only: internal/keystone: imports example.com/zun/internal/keystone -> example.com/zun/internal/zunctx -> example.com/zun/internal/store"},
		},
		{
			name:    "missing doc",
			pkgs:    []*pkg{local("internal/a", ""), local("internal/b", "Package b."), {ImportPath: m + "/internal/empty"}},
			missing: []string{"internal/a"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &graph{module: m, pkgs: map[string]*pkg{}}
			for _, p := range tc.pkgs {
				g.pkgs[p.ImportPath] = p
			}
			for _, p := range tc.pkgs {
				if _, ok := g.rel(p.ImportPath); ok {
					g.local = append(g.local, p.ImportPath)
				}
				p.Deps = deps(g, p.ImportPath)
			}
			slices.Sort(g.local)
			got, _ := checkBoundaries(g)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d violations, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("violation %d = %q, want it to contain %q", i, got[i], w)
				}
			}
			if miss := missingDocs(g); !slices.Equal(miss, tc.missing) {
				t.Errorf("missing docs = %v, want %v", miss, tc.missing)
			}
		})
	}
}

// deps computes the sorted transitive imports of path, as go list's Deps.
func deps(g *graph, path string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		if gp, ok := g.pkgs[p]; ok {
			for _, imp := range gp.Imports {
				if !seen[imp] {
					seen[imp] = true
					walk(imp)
				}
			}
		}
	}
	walk(path)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
