package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

const webJSON = `{"uuid":"6c1d-web","links":[],"user_id":"u1","project_id":"p1","name":"web",
"image":"busybox:1.35","command":["sleep","60"],"entrypoint":[],"status":"Running","status_reason":null,
"status_detail":"Up 3 mins","task_state":null,"cpu":1,"memory":"512","disk":0,"cpu_policy":"shared",
"environment":{"A":"1"},"workdir":null,"ports":[80],"hostname":null,"labels":{},
"addresses":{"net-b":[{"addr":"10.0.0.5","version":4,"port":"p1","subnet_id":"s1","preserve_on_delete":false}],
"net-a":[{"addr":"10.1.0.7","version":4,"port":"p2","subnet_id":"s2","preserve_on_delete":false}]},
"restart_policy":{"Name":"no","MaximumRetryCount":"0"},"interactive":false,"tty":false,"image_driver":"docker",
"security_groups":[],"auto_remove":false,"auto_heal":false,"healthcheck":null,"registry_id":null,
"created_at":"2025-01-02T03:04:05.000000+00:00","updated_at":null}`

// fakeAPI serves Keystone (password auth) and a few container routes.
type fakeAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	log  []string // "METHOD path?query"
	body []string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /identity/v3/auth/tokens", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Auth struct {
				Identity struct {
					Password struct {
						User struct {
							Password string `json:"password"`
						} `json:"user"`
					} `json:"password"`
				} `json:"identity"`
			} `json:"auth"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Auth.Identity.Password.User.Password != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`)
			return
		}
		w.Header().Set("X-Subject-Token", "tok")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":{"expires_at":"2999-01-01T00:00:00.000000Z","catalog":[{"type":"container","endpoints":[{"interface":"public","region_id":"RegionOne","url":"%s/v1"}]}]}}`, f.srv.URL)
	})
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			f.mu.Lock()
			f.log = append(f.log, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
			f.body = append(f.body, string(b))
			f.mu.Unlock()
			if r.Header.Get("X-Auth-Token") != "tok" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Openstack-Request-Id", "req-abc")
			h(w, r)
		})
	}
	notFound := func(w http.ResponseWriter, name string) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"errors":[{"request_id":"","code":"container.not-found","status":404,"title":"Not Found","detail":"Container %s could not be found.","links":[]}]}`, name)
	}
	api("GET /v1/containers", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"containers":[%s]}`, webJSON)
	})
	api("POST /v1/containers", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, webJSON)
	})
	api("GET /v1/containers/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "web" {
			notFound(w, r.PathValue("id"))
			return
		}
		fmt.Fprint(w, webJSON)
	})
	api("DELETE /v1/containers/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "web" {
			notFound(w, r.PathValue("id"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	api("POST /v1/containers/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("action") == "execute" {
			fmt.Fprint(w, `{"output":"hello\n","exit_code":7,"exec_id":null,"proxy_url":null}`)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	api("GET /v1/containers/{id}/logs", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `"a\nb\n"`)
	})
	api("PUT /v1/services/{action}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"service":{"host":%q,"binary":%q,"disabled":true,"disabled_reason":%q}}`,
			r.URL.Query().Get("host"), r.URL.Query().Get("binary"), r.URL.Query().Get("disabled_reason"))
	})
	api("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"versions":[{"id":"v1","status":"CURRENT","min_version":"1.1","max_version":"1.40","links":[]}]}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) env() map[string]string {
	return map[string]string{
		"OS_AUTH_URL": f.srv.URL + "/identity", "OS_USERNAME": "demo", "OS_PASSWORD": "secret",
		"OS_PROJECT_NAME": "demo", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
		"HOME": "/nonexistent",
	}
}

func (f *fakeAPI) requests() ([]string, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...), append([]string(nil), f.body...)
}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}
