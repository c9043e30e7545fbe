package apiserver

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/policy"
)

// TestRoutesHavePolicies walks the route table: every route that is not
// public names a registered policy rule, so no handler is reachable
// without a decision and a typo in a rule name cannot allow.
func TestRoutesHavePolicies(t *testing.T) {
	s := New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	enf := policy.New()
	seen := map[string]bool{}
	for _, r := range s.Routes() {
		key := r.Method + " " + r.Path
		if seen[key] {
			t.Errorf("route %s registered twice", key)
		}
		seen[key] = true
		if r.Public {
			if !strings.HasPrefix(r.Path, "/{$}") && !strings.HasPrefix(r.Path, "/v1") {
				t.Errorf("public route %s outside version discovery", key)
			}
			if r.Path != "/{$}" && r.Path != "/v1" && r.Path != "/v1/{$}" {
				t.Errorf("public route %s is not version discovery", key)
			}
			continue
		}
		if r.Policy == "" {
			t.Errorf("route %s has no policy", key)
			continue
		}
		if !enf.Registered(r.Policy) {
			t.Errorf("route %s names unregistered rule %q", key, r.Policy)
		}
	}
}

func TestShellSplit(t *testing.T) {
	cases := map[string][]string{
		`sh -c 'echo $FOO; exit 3'`: {"sh", "-c", "echo $FOO; exit 3"},
		`echo "a b" c\ d`:           {"echo", "a b", "c d"},
		`  ls   -l `:                {"ls", "-l"},
		`""`:                        {""},
	}
	for in, want := range cases {
		got, err := shellSplit(in)
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("shellSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := shellSplit(`echo 'open`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

func TestCheckDuplicateKeys(t *testing.T) {
	ok := []string{`{"a":1,"b":{"a":2}}`, `{"a":[{"x":1},{"x":2}]}`, `{"a":"b","c":"a"}`}
	bad := []string{`{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"x":1,"x":2}]}`, strings.Repeat("[", 40) + strings.Repeat("]", 40)}
	for _, s := range ok {
		if err := checkDuplicateKeys([]byte(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range bad {
		if err := checkDuplicateKeys([]byte(s)); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}

func TestParseCreateVersions(t *testing.T) {
	cases := []struct {
		json  string
		minor int
		ok    bool
	}{
		{`{"image":"busybox"}`, 1, true},
		{`{"image":"busybox","command":"sleep 1"}`, 19, true},
		{`{"image":"busybox","command":["sleep","1"]}`, 19, false},
		{`{"image":"busybox","command":["sleep","1"]}`, 20, true},
		{`{"image":"busybox","entrypoint":["sh"]}`, 39, false},
		{`{"image":"busybox","entrypoint":["sh"]}`, 40, true},
		{`{"image":"busybox","nets":[]}`, 40, true},
		{`{"image":"busybox","nets":[{"network":"x"}]}`, 40, false},
		{`{"image":"busybox","memory":"1G"}`, 40, true},
		{`{"image":"busybox","memory":"9G"}`, 40, false},
		{`{"image":"busybox","auto_remove":true,"restart_policy":{"Name":"always"}}`, 40, false},
		{`{"image":"busybox","labels":{"zun.uuid":"x"}}`, 40, false},
		{`{"image":"busybox","workdir":"relative"}`, 40, false},
	}
	for _, tc := range cases {
		m, err := decodeRaw(tc.json)
		if err != nil {
			t.Fatal(err)
		}
		_, err = parseCreate(m, tc.minor)
		if (err == nil) != tc.ok {
			t.Errorf("%s at 1.%d: err %v, want ok=%v", tc.json, tc.minor, err, tc.ok)
		}
	}
}

func decodeRaw(s string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	return m, json.Unmarshal([]byte(s), &m)
}
