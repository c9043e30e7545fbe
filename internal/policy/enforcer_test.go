package policy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

func ctxAs(id zunctx.Identity) context.Context {
	return zunctx.WithIdentity(context.Background(), id)
}

func TestDefaultsCompileAndMatchZun(t *testing.T) {
	e := New()
	want := map[string]string{
		"context_is_admin":              "role:admin",
		"admin_or_owner":                "is_admin:True or project_id:%(project_id)s",
		"admin_api":                     "rule:context_is_admin",
		"deny_everybody":                "!",
		"container:create":              "rule:admin_or_owner",
		"container:create:privileged":   "rule:deny_everybody",
		"container:get_one:host":        "rule:admin_api",
		"image:search":                  "rule:admin_or_owner",
		"quota:get":                     "rule:admin_or_owner",
		"quota_class:get":               "rule:admin_api",
		"registry:get_all_all_projects": "rule:admin_api",
		"network:create":                "role:admin",
		"capsule:get:host":              "rule:admin_api",
	}
	for name, text := range want {
		got, src, ok := e.Rule(name)
		if !ok || got != text || src != "" {
			t.Errorf("%s = %q (%q, %v), want %q", name, got, src, ok, text)
		}
	}
	for _, d := range Defaults() {
		if d.Description == "" {
			t.Errorf("%s has no description", d.Name)
		}
	}
	member := ctxAs(roles("member"))
	if !e.Allowed(member, "container:get_one", Target{ProjectID: "p1"}) || e.Allowed(member, "container:get_one", Target{ProjectID: "p2"}) {
		t.Error("admin_or_owner does not follow the project")
	}
	if e.Allowed(ctxAs(roles("admin")), "container:create:privileged", Target{ProjectID: "p1"}) {
		t.Error("privileged allowed to admin")
	}
}

func TestAuthorize(t *testing.T) {
	e := New()
	member := ctxAs(roles("member"))
	if err := e.Authorize(member, "host:get_all", Target{ProjectID: "p1"}); !errors.Is(err, errdefs.ErrForbidden) ||
		!strings.Contains(err.Error(), "Policy doesn't allow host:get_all to be performed.") {
		t.Errorf("member host:get_all: %v", err)
	}
	if err := e.Authorize(member, "container:nosuch", Target{ProjectID: "p1"}); !errors.Is(err, errdefs.ErrForbidden) {
		t.Errorf("missing rule: %v", err)
	}
	if err := e.Authorize(context.Background(), "container:get_all", Target{}); !errors.Is(err, errdefs.ErrForbidden) {
		t.Errorf("no identity: %v", err)
	}
	if err := e.Authorize(ctxAs(roles("admin")), "host:get_all", Target{ProjectID: "p1"}); err != nil {
		t.Errorf("admin host:get_all: %v", err)
	}
	// Field rules: might_not_exist.
	if !e.FieldAllowed(member, "container:get_one:nosuchfield", Target{ProjectID: "p1"}) {
		t.Error("an undefined field rule must allow")
	}
	if e.FieldAllowed(member, "container:get_one:host", Target{ProjectID: "p1"}) {
		t.Error("member sees host")
	}
	if err := e.Check("container:get_all", "container:nosuch", "zz:x"); err == nil || !strings.Contains(err.Error(), "container:nosuch, zz:x") {
		t.Errorf("Check: %v", err)
	}
	if err := e.Check("container:get_all"); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func write(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadOverrides(t *testing.T) {
	member, admin := roles("member"), roles("admin")
	own := Target{ProjectID: "p1"}
	cases := []struct {
		name, file, data string
		rule             string
		id               zunctx.Identity
		want             bool
	}{
		{"yaml admin-only list", "policy.yaml", "container:get_all: rule:admin_api\n", "container:get_all", member, false},
		{"yaml admin still allowed", "policy.yaml", "container:get_all: rule:admin_api\n", "container:get_all", admin, true},
		{"yaml runtime for members", "policy.yaml", `"container:create:runtime": "role:member and project_id:%(project_id)s"` + "\n", "container:create:runtime", member, true},
		{"json", "policy.json", `{"host:get_all": "role:member"}`, "host:get_all", member, true},
		{"base rule override changes users", "policy.yaml", "admin_or_owner: is_admin:True or (role:member and project_id:%(project_id)s)\n", "container:get_one", roles("reader"), false},
		{"context_is_admin drives is_admin", "policy.yaml", "context_is_admin: role:superuser\n", "container:get_one", zunctx.Identity{ProjectID: "p9", Roles: []string{"superuser"}}, true},
		{"context_is_admin: admin role no longer admin", "policy.yaml", "context_is_admin: role:superuser\n", "host:get_all", admin, false},
		{"legacy list of lists", "policy.json", `{"host:get_all": [["role:member", "project_id:%(project_id)s"], ["role:admin"]]}`, "host:get_all", member, true},
		{"legacy list of lists, and", "policy.json", `{"host:get_all": [["role:member", "project_id:%(project_id)s"]]}`, "host:get_all", zunctx.Identity{ProjectID: "p2", Roles: []string{"member"}}, false},
		{"legacy empty list allows", "policy.json", `{"host:get_all": []}`, "host:get_all", roles(), true},
		{"empty string allows", "policy.yaml", `"host:get_all": ""` + "\n", "host:get_all", roles(), true},
		{"empty file keeps defaults", "policy.yaml", "", "container:get_all", member, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Load(write(t, tc.file, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Allowed(ctxAs(tc.id), tc.rule, own); got != tc.want {
				t.Errorf("%s for %v = %v, want %v", tc.rule, tc.id.Roles, got, tc.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"unknown name", "container:get_al: rule:admin_api\n", `rule "container:get_al" is not registered (did you mean "container:get_all"?)`},
		{"unknown name far from any", "frobnicate: '@'\n", `rule "frobnicate" is not registered`},
		{"bad syntax", "container:get_all: role:admin or\n", `policy rule "container:get_all": expected a check`},
		{"unresolved reference", "container:get_all: rule:admin_or_ownr\n", `rule "container:get_all" refers to rule:admin_or_ownr, which is not registered`},
		{"cycle", "admin_api: rule:context_is_admin\ncontext_is_admin: rule:admin_api\n", "cycle"},
		{"not a string", "container:get_all: 3\n", `rule "container:get_all": the value must be a rule string`},
		{"not yaml", "container:get_all: [\n", "policy file"},
		{"duplicate key", "host:get: '@'\nhost:get: '!'\n", "already defined"},
		{"several problems", "container:get_al: '@'\nhost:get: (role:a\n", "container:get_al"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, "policy.yaml", tc.data)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("err %v, want it to name %s and say %q", err, p, tc.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loaded")
	}
	_, err := Load(write(t, "policy.yaml", "container:get_al: '@'\nhost:get: (role:a\n"))
	if err == nil || !strings.Contains(err.Error(), "host:get") {
		t.Errorf("every problem is reported: %v", err)
	}
}

func TestWriteYAMLLoadsBack(t *testing.T) {
	p := write(t, "policy.yaml", "container:get_all: rule:admin_api\n")
	e, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"# Create a new container.\n# POST /v1/containers\n\"container:create\": \"rule:admin_or_owner\"",
		"# Overridden by " + p + "; default: \"rule:admin_or_owner\"\n\"container:get_all\": \"rule:admin_api\"",
		`"admin_or_owner": "is_admin:True or project_id:%(project_id)s"`} {
		if !strings.Contains(out, s) {
			t.Errorf("dump lacks %q", s)
		}
	}
	back, err := Parse(buf.Bytes(), "dump")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Names() {
		a, _, _ := e.Rule(n)
		b, _, _ := back.Rule(n)
		if a != b {
			t.Errorf("%s: %q reloaded as %q", n, a, b)
		}
	}
}

func TestEvaluationDoesNotAllocate(t *testing.T) {
	e := New()
	ctx := ctxAs(zunctx.Identity{UserID: "u1", ProjectID: "p1", Roles: []string{"reader", "member"}})
	tg := Target{ProjectID: "p1"}
	allocs := testing.AllocsPerRun(100, func() {
		if !e.Allowed(ctx, "container:get_one", tg) || e.Allowed(ctx, "container:get_one:host", tg) {
			t.Fatal("wrong decision")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per decision", allocs)
	}
}

func BenchmarkAllowed(b *testing.B) {
	e := New()
	ctx := ctxAs(zunctx.Identity{UserID: "u1", ProjectID: "p1", Roles: []string{"reader", "member"}})
	tg := Target{ProjectID: "p2"}
	b.ReportAllocs()
	for b.Loop() {
		e.Allowed(ctx, "container:get_one", tg)
	}
}
