package cli

import (
	"bytes"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/openzun/zun/api"
)

func TestShellSplit(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "/bin/sh -c", want: []string{"/bin/sh", "-c"}},
		{in: `python -m "http.server 8000"`, want: []string{"python", "-m", "http.server 8000"}},
		{in: `echo 'a "b"' c\ d "e\"f" "g\h"`, want: []string{"echo", `a "b"`, "c d", `e"f`, `g\h`}},
		{in: `''`, want: []string{""}},
		{in: `  `, want: nil},
		{in: `"open`, err: true},
		{in: `trailing\`, err: true},
	}
	for _, tc := range cases {
		got, err := shellSplit(tc.in)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("shellSplit(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestKeyValues(t *testing.T) {
	got, err := keyValues("-e", []string{"A=1;B=x=y"})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"A": "1", "B": "x=y"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	// Several flags are not split on commas.
	got, err = keyValues("-e", []string{"A=1,2", "B="})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"A": "1,2", "B": ""}) {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := keyValues("-e", []string{"=1"}); err == nil {
		t.Fatal("want an error for an empty key")
	}
}

func TestRestartPolicy(t *testing.T) {
	cases := map[string]*api.CreateRestart{
		"no":           {Name: "no"},
		"always":       {Name: "always"},
		"on-failure:5": {Name: "on-failure", MaximumRetryCount: 5},
		"always:0":     {Name: "always"},
		"always:2":     nil,
		"on-failure:x": nil,
		"sometimes":    nil,
	}
	for in, want := range cases {
		got, err := restartPolicy(in)
		if want == nil {
			if err == nil {
				t.Errorf("restartPolicy(%q) = %+v, want an error", in, got)
			}
			continue
		}
		if err != nil || *got != *want {
			t.Errorf("restartPolicy(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	got, err := healthcheck("cmd=curl localhost,interval=2h,retries=3,timeout=30")
	want := &api.CreateHealthcheck{Cmd: "curl localhost", Interval: 7200, Retries: 3, Timeout: 30}
	if err != nil || *got != *want {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"cmd", "cmd=a,cmd=b", "retries=-1", "timeout=1d", "color=red"} {
		if _, err := healthcheck(bad); err == nil {
			t.Errorf("healthcheck(%q): want an error", bad)
		}
	}
}

func TestEmptyTable(t *testing.T) {
	var b bytes.Buffer
	if err := newTable("uuid", "name").write(&b); err != nil {
		t.Fatal(err)
	}
	want := "+------+------+\n| uuid | name |\n+------+------+\n+------+------+\n"
	if b.String() != want {
		t.Fatalf("got\n%s", b.String())
	}
}

func TestMultilineCell(t *testing.T) {
	var b bytes.Buffer
	tb := newTable("k", "v")
	tb.add("a", "x\nlonger")
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	want := "+---+--------+\n| k | v      |\n+---+--------+\n| a | x      |\n|   | longer |\n+---+--------+\n"
	if b.String() != want {
		t.Fatalf("got\n%s", b.String())
	}
}

// TestImportBoundary keeps the CLI and the client free of server-side
// packages: they may import only the standard library, api/, client/,
// internal/cli and the CLI's third-party libraries.
func TestImportBoundary(t *testing.T) {
	allowed := []string{
		"github.com/openzun/zun/api", "github.com/openzun/zun/client",
		"github.com/openzun/zun/internal/cli", "github.com/spf13/cobra", "github.com/goccy/go-yaml",
		"github.com/coder/websocket", "golang.org/x/term",
	}
	for _, dir := range []string{".", "../../cmd/zun", "../../client"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
					continue // standard library
				}
				ok := false
				for _, a := range allowed {
					ok = ok || p == a || strings.HasPrefix(p, a+"/")
				}
				if !ok {
					t.Errorf("%s imports %s", file, p)
				}
			}
		}
	}
}
