package lint

import (
	"fmt"
	"slices"
	"strings"
)

// rule is one import boundary: the module packages it applies to and a check
// that returns one message per violation.
type rule struct {
	name  string
	why   string
	scope func(rel string) bool
	check func(g *graph, p *pkg) []string
}

// under reports whether rel is dir or inside it.
func under(rel, dir string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}

// hasPrefixPath reports whether importPath is prefix or a package below it.
func hasPrefixPath(importPath string, prefixes ...string) bool {
	for _, pre := range prefixes {
		if importPath == pre || strings.HasPrefix(importPath, pre+"/") {
			return true
		}
	}
	return false
}

// isTestHelper reports whether a module-relative path is a package that
// exists to test or benchmark others (schedtest, storetest, testutil,
// schedbench); such packages may use real stores and transports.
func isTestHelper(rel string) bool {
	for _, elem := range strings.Split(rel, "/") {
		for _, suffix := range []string{"test", "testutil", "testing", "bench"} {
			if strings.HasSuffix(elem, suffix) {
				return true
			}
		}
	}
	return false
}

// Heavy backends the CLI and the client library must never link: the Docker
// SDK, the NATS client and server, and the SQL drivers.
var backendModules = []string{
	"github.com/moby",
	"github.com/nats-io",
	"modernc.org/sqlite",
	"github.com/jackc/pgx",
}

// transportPackages are network transports. The scheduler must not reach
// them, directly or through a project package. (NATS is caught by a stricter
// check: it may not appear anywhere in the scheduler's dependencies.)
var transportPackages = []string{
	"net/http",
	"net/rpc",
	"google.golang.org/grpc",
}

// transportAllowed lists the project packages that may import a transport
// package without being a transport, with the reason.
var transportAllowed = map[string]string{
	"internal/errdefs": "uses net/http only for status-code constants in HTTPStatus",
}

func rules() []rule {
	return []rule{
		{
			name: "api-stdlib-only",
			why:  "api/ holds the wire types shared verbatim by server and client; it must stay importable by anyone",
			scope: func(rel string) bool {
				return under(rel, "api")
			},
			check: func(g *graph, p *pkg) []string {
				var bad []string
				for _, dep := range p.Deps {
					if r, ok := g.rel(dep); (ok && under(r, "api")) || (!ok && g.isStd(dep)) {
						continue
					}
					bad = append(bad, "imports non-standard package "+g.chain(p.ImportPath, dep))
				}
				return bad
			},
		},
		{
			name: "client-cli-no-internals",
			why:  "the client library and the CLI speak only the public API; internal/ and the backends stay out of them",
			scope: func(rel string) bool {
				return under(rel, "client") || rel == "cmd/zun" || under(rel, "internal/cli")
			},
			check: func(g *graph, p *pkg) []string {
				var bad []string
				for _, dep := range p.Deps {
					if r, ok := g.rel(dep); ok && under(r, "internal") && !under(r, "internal/cli") {
						bad = append(bad, "imports internal package "+g.chain(p.ImportPath, dep))
						continue
					}
					if hasPrefixPath(dep, backendModules...) {
						bad = append(bad, "imports backend "+g.chain(p.ImportPath, dep))
					}
				}
				return bad
			},
		},
		{
			name: "keystone-client-only",
			why: "the external-Keystone validator is a client of Keystone: it holds no records and " +
				"must not lean on the store, the API server or the embedded identity service",
			scope: func(rel string) bool {
				return under(rel, "internal/keystone")
			},
			check: func(g *graph, p *pkg) []string {
				var bad []string
				for _, dep := range p.Deps {
					if r, ok := g.rel(dep); ok && (under(r, "internal/store") || under(r, "internal/apiserver") ||
						under(r, "internal/identity")) {
						bad = append(bad, "imports "+g.chain(p.ImportPath, dep))
					}
				}
				return bad
			},
		},
		{
			name: "scheduler-pure",
			why: "the scheduler is a pure function over a snapshot: no concrete store, " +
				"no API server, no HTTP or NATS transport",
			scope: func(rel string) bool {
				return under(rel, "internal/scheduler") && !isTestHelper(rel)
			},
			check: func(g *graph, p *pkg) []string {
				var bad []string
				closure := append([]string{p.ImportPath}, p.Deps...)
				for _, dep := range closure {
					r, local := g.rel(dep)
					if local && (under(r, "internal/store/sqlstore") || under(r, "internal/apiserver")) {
						bad = append(bad, "imports "+g.chain(p.ImportPath, dep))
						continue
					}
					if hasPrefixPath(dep, "github.com/nats-io") {
						bad = append(bad, "imports NATS "+g.chain(p.ImportPath, dep))
						continue
					}
					// A project package on the path that imports a transport
					// is itself a transport (or wraps one).
					if _, ok := transportAllowed[r]; !local || ok {
						continue
					}
					dp, ok := g.pkgs[dep]
					if !ok {
						continue
					}
					for _, imp := range dp.Imports {
						if hasPrefixPath(imp, transportPackages...) {
							bad = append(bad, fmt.Sprintf("imports transport %s via %s",
								imp, g.chain(p.ImportPath, dep)))
						}
					}
				}
				slices.Sort(bad)
				return slices.Compact(bad)
			},
		},
		{
			name: "netplane-kernel-only",
			why: "the data plane library only makes the kernel match a HostNetworkState: " +
				"no store, bus, RPC, Docker, NATS or SQL; the agent and the Docker plugin call it",
			scope: func(rel string) bool {
				return under(rel, "internal/netplane")
			},
			check: func(g *graph, p *pkg) []string {
				var bad []string
				for _, dep := range p.Deps {
					if r, ok := g.rel(dep); ok && (under(r, "internal/store") || under(r, "internal/bus") ||
						under(r, "internal/rpc") || under(r, "internal/compute") || under(r, "internal/apiserver")) {
						bad = append(bad, "imports "+g.chain(p.ImportPath, dep))
						continue
					}
					if hasPrefixPath(dep, backendModules...) {
						bad = append(bad, "imports "+g.chain(p.ImportPath, dep))
					}
				}
				return bad
			},
		},
		{
			name: "agent-no-store",
			why: "compute agents and their volume backend hold no database credentials: " +
				"state reaches them through the conductor over the bus",
			scope: func(rel string) bool {
				return under(rel, "internal/compute") || under(rel, "internal/volume")
			},
			check: func(g *graph, p *pkg) []string {
				var bad []string
				for _, dep := range p.Deps {
					if r, ok := g.rel(dep); ok && under(r, "internal/store") {
						bad = append(bad, "imports "+g.chain(p.ImportPath, dep))
						continue
					}
					if hasPrefixPath(dep, "modernc.org/sqlite", "github.com/jackc/pgx") {
						bad = append(bad, "imports SQL driver "+g.chain(p.ImportPath, dep))
					}
				}
				return bad
			},
		},
		{
			name: "dockerplugin-narrow",
			why: "the Docker network plugin learns networks and ports only from the host's state " +
				"handed to it by the agent: no store, bus or engine client of its own",
			scope: func(rel string) bool { return under(rel, "internal/dockerplugin") },
			check: func(g *graph, p *pkg) []string {
				var bad []string
				for _, dep := range p.Deps {
					if r, ok := g.rel(dep); ok && (under(r, "internal/store") || under(r, "internal/bus") || under(r, "internal/container")) {
						bad = append(bad, "imports "+g.chain(p.ImportPath, dep))
						continue
					}
					if hasPrefixPath(dep, "github.com/moby", "github.com/nats-io", "modernc.org/sqlite", "github.com/jackc/pgx") {
						bad = append(bad, "imports "+g.chain(p.ImportPath, dep))
					}
				}
				return bad
			},
		},
		{
			name: "network-control-plane",
			why: "the network service holds the rules only: no HTTP (internal/neutronapi), no SQL backend " +
				"(store.Networks), no bus or data plane (the conductor and agents)",
			scope: func(rel string) bool { return rel == "internal/network" },
			check: func(g *graph, p *pkg) []string {
				var bad []string
				for _, dep := range p.Imports {
					if r, ok := g.rel(dep); ok && (under(r, "internal/store/sqlstore") || under(r, "internal/bus") ||
						under(r, "internal/apiserver") || under(r, "internal/neutronapi") || under(r, "internal/netplane")) {
						bad = append(bad, "imports "+dep)
					}
					if dep == "net/http" {
						bad = append(bad, "imports net/http")
					}
				}
				return bad
			},
		},
	}
}

// checkBoundaries applies every rule to the module's packages. It returns
// the violations, and for each rule the number of packages it applied to (a
// rule whose packages do not exist yet is vacuous).
func checkBoundaries(g *graph) (violations []string, applied map[string]int) {
	applied = map[string]int{}
	for _, r := range rules() {
		applied[r.name] = 0
		for _, path := range g.local {
			rel, _ := g.rel(path)
			if !r.scope(rel) {
				continue
			}
			applied[r.name]++
			for _, v := range r.check(g, g.pkgs[path]) {
				violations = append(violations, fmt.Sprintf("%s: %s: %s (%s)", r.name, rel, v, r.why))
			}
		}
	}
	return violations, applied
}

// missingDocs returns the packages under internal/ without a package doc
// comment. Directories without Go files are not packages and are ignored.
func missingDocs(g *graph) []string {
	var missing []string
	for _, path := range g.local {
		rel, _ := g.rel(path)
		p := g.pkgs[path]
		if !under(rel, "internal") || p.Name == "" {
			continue
		}
		if strings.TrimSpace(p.Doc) == "" {
			missing = append(missing, rel)
		}
	}
	return missing
}
