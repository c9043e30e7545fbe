package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBadInput checks that bad requests get Zun's envelope with the right
// code and that nothing is half-created.
func TestBadInput(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	count := func() int {
		var l struct{ Containers []container }
		a.Do("GET", "/v1/containers?all_projects=true", nil, 200, &l)
		return len(l.Containers)
	}
	var target container
	a.Do("POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "name": "target"}, 202, &target)
	before := count()

	cases := []struct {
		name, method, path, version string
		body                        any
		token                       string
		want                        int
		detail                      string
	}{
		{"unknown field", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","bogus":1}`, "", 400, "bogus"},
		{"internal field", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","project_id":"x"}`, "", 400, "project_id"},
		{"missing image", "POST", "/v1/containers", "1.40", `{"name":"abc"}`, "", 400, "image"},
		{"wrong type cpu", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","cpu":"lots"}`, "", 400, "cpu"},
		{"cpu out of range", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","cpu":64}`, "", 400, "cpu"},
		{"memory out of range", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","memory":"1"}`, "", 400, "memory"},
		{"bad name", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","name":"-x"}`, "", 400, "name"},
		{"command string at 1.40", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","command":"sleep 1"}`, "", 400, "command"},
		{"field newer than version", "POST", "/v1/containers", "1.3", `{"image":"busybox:1.35","hostname":"abc"}`, "", 400, "hostname"},
		{"restart retry without on-failure", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","restart_policy":{"Name":"always","MaximumRetryCount":3}}`, "", 400, "restart_policy"},
		{"duplicate keys", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","image":"x"}`, "", 400, "Duplicate"},
		{"not json", "POST", "/v1/containers", "1.40", `{"image":`, "", 400, ""},
		{"huge body", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","labels":{"a":"` + strings.Repeat("x", 2<<20) + `"}}`, "", 413, ""},
		{"privileged denied", "POST", "/v1/containers", "1.40", `{"image":"busybox:1.35","privileged":true}`, "", 403, ""},
		{"bad microversion", "GET", "/v1/containers", "1.99", nil, "", 406, ""},
		{"malformed microversion", "GET", "/v1/containers", "one", nil, "", 406, ""},
		{"no token", "GET", "/v1/containers", "1.40", nil, "-", 401, ""},
		{"bad token", "GET", "/v1/containers", "1.40", nil, "garbage", 401, ""},
		{"unknown query", "GET", "/v1/containers?colour=red", "1.40", nil, "", 400, "colour"},
		{"bad sort dir", "GET", "/v1/containers?sort_dir=up", "1.40", nil, "", 400, "sort"},
		{"bad limit", "GET", "/v1/containers?limit=-3", "1.40", nil, "", 400, "limit"},
		{"missing container", "GET", "/v1/containers/nope", "1.40", nil, "", 404, "nope"},
		{"bad kill signal", "POST", "/v1/containers/target/kill?signal=SIGFOO", "1.40", nil, "", 400, "signal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := a.admin
			switch tc.token {
			case "-":
				tok = ""
			case "":
			default:
				tok = tc.token
			}
			st, body := a.doRaw(tc.method, tc.path, tok, tc.version, tc.body)
			if st != tc.want {
				t.Fatalf("status %d, want %d: %s", st, tc.want, body)
			}
			var env struct {
				Errors []struct {
					Status int    `json:"status"`
					Code   string `json:"code"`
					Detail string `json:"detail"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) != 1 || env.Errors[0].Status != tc.want || env.Errors[0].Code == "" {
				t.Fatalf("not Zun's envelope: %s", body)
			}
			if tc.detail != "" && !strings.Contains(env.Errors[0].Detail, tc.detail) {
				t.Errorf("detail %q does not name %q", env.Errors[0].Detail, tc.detail)
			}
		})
	}
	if after := count(); after != before {
		t.Errorf("bad requests created containers: %d -> %d", before, after)
	}
	// A duplicate name in a project is a conflict, and only one exists.
	a.Do("POST", "/v1/containers", map[string]any{"image": "busybox:1.35", "name": "dup"}, 202, nil)
	st, _ := a.doRaw("POST", "/v1/containers", a.admin, "1.40", map[string]any{"image": "busybox:1.35", "name": "dup"})
	if st != 409 {
		t.Errorf("duplicate name: %d", st)
	}
	// Version negotiation headers.
	req, _ := a.doRawHeaders("GET", "/v1/containers", a.admin, "latest")
	if req.Get("OpenStack-API-Version") != "container 1.40" || req.Get("OpenStack-API-Minimum-Version") != "container 1.1" {
		t.Errorf("version headers: %v", req)
	}
	h, _ := a.doRawHeaders("GET", "/v1/containers", a.admin, "")
	if h.Get("OpenStack-API-Version") != "container 1.1" {
		t.Errorf("default version: %v", h.Get("OpenStack-API-Version"))
	}
}
