package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeCloud serves Keystone v3 at /identity/v3 and records the requests
// sent to the container endpoint at /v1.
type fakeCloud struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	auths   []map[string]any
	tokens  int
	valid   map[string]bool
	expires time.Duration
	reqs    []*http.Request
	bodies  []string
	handler http.HandlerFunc // container API; nil answers 200 {}
}

func newFakeCloud(t *testing.T) *fakeCloud {
	t.Helper()
	f := &fakeCloud{t: t, valid: map[string]bool{}, expires: time.Hour}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /identity/v3/auth/tokens", f.auth)
	mux.HandleFunc("/", f.api)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCloud) auth(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.auths = append(f.auths, body)
	f.tokens++
	tok := fmt.Sprintf("tok-%d", f.tokens)
	f.valid[tok] = true
	exp := time.Now().Add(f.expires).UTC().Format("2006-01-02T15:04:05.000000Z")
	f.mu.Unlock()
	pw := body["auth"].(map[string]any)["identity"].(map[string]any)["password"]
	if pw != nil && pw.(map[string]any)["user"].(map[string]any)["password"] != "secret" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`)
		return
	}
	w.Header().Set("X-Subject-Token", tok)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"token":{"expires_at":%q,"catalog":[
	  {"type":"identity","endpoints":[{"interface":"public","region_id":"RegionOne","url":"%s/identity"}]},
	  {"type":"container","name":"zun","endpoints":[
	    {"interface":"internal","region_id":"RegionOne","url":"http://127.0.0.2:9/v1"},
	    {"interface":"public","region_id":"RegionTwo","url":"http://127.0.0.3:9/v1"},
	    {"interface":"public","region_id":"RegionOne","region":"RegionOne","url":"%s/v1"}]}]}}`,
		exp, f.srv.URL, f.srv.URL)
}

func (f *fakeCloud) api(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ok := f.valid[r.Header.Get("X-Auth-Token")]
	b, _ := io.ReadAll(r.Body)
	f.reqs = append(f.reqs, r)
	f.bodies = append(f.bodies, string(b))
	h := f.handler
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"status":401,"code":"container.unauthorized","title":"Unauthorized","detail":"bad token"}]}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if h == nil {
		fmt.Fprint(w, `{}`)
		return
	}
	h(w, r)
}

func (f *fakeCloud) last() (*http.Request, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatal("no API request recorded")
	}
	return f.reqs[len(f.reqs)-1], f.bodies[len(f.bodies)-1]
}

func (f *fakeCloud) config() Config {
	return Config{
		AuthURL: f.srv.URL + "/identity", Username: "demo", Password: "secret",
		ProjectName: "demo", UserDomainName: "Default", ProjectDomainID: "default",
		RegionName: "RegionOne",
	}
}
