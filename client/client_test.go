package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/api"
)

func TestIdentityURL(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: "http://127.0.0.1:9517/identity/v3", want: "http://127.0.0.1:9517/identity/v3"},
		{in: "http://127.0.0.1:9517/identity/v3/", want: "http://127.0.0.1:9517/identity/v3"},
		{in: "http://127.0.0.1:9517/identity", want: "http://127.0.0.1:9517/identity/v3"},
		{in: "http://keystone:5000", want: "http://keystone:5000/v3"},
		{in: "http://keystone:5000/v2.0", err: "only identity v3"},
		{in: "keystone", err: "invalid auth URL"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := identityURL(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("identityURL(%q) error = %v, want %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("identityURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestPasswordAuthPicksCatalogEndpoint(t *testing.T) {
	f := newFakeCloud(t)
	cl, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.GetContainer(context.Background(), "web", false); err != nil {
		t.Fatal(err)
	}
	r, _ := f.last()
	if r.URL.Path != "/v1/containers/web" {
		t.Errorf("path = %q", r.URL.Path)
	}
	if got := r.Header.Get("OpenStack-API-Version"); got != "container 1.40" {
		t.Errorf("version header = %q", got)
	}
	if r.Header.Get("X-Auth-Token") != "tok-1" {
		t.Errorf("token = %q", r.Header.Get("X-Auth-Token"))
	}
	auth := f.auths[0]["auth"].(map[string]any)
	user := auth["identity"].(map[string]any)["password"].(map[string]any)["user"].(map[string]any)
	if user["name"] != "demo" || user["domain"].(map[string]any)["name"] != "Default" {
		t.Errorf("user = %v", user)
	}
	project := auth["scope"].(map[string]any)["project"].(map[string]any)
	if project["name"] != "demo" || project["domain"].(map[string]any)["id"] != "default" {
		t.Errorf("scope = %v", project)
	}
	if len(f.auths) != 1 {
		t.Errorf("authenticated %d times, want 1 (token cached)", len(f.auths))
	}
}

func TestBadPasswordIsAPIError(t *testing.T) {
	f := newFakeCloud(t)
	cfg := f.config()
	cfg.Password = "wrong"
	_, err := New(context.Background(), cfg)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || !strings.Contains(ae.Detail, "requires authentication") {
		t.Fatalf("err = %#v", err)
	}
}

func TestNoEndpointInRegion(t *testing.T) {
	f := newFakeCloud(t)
	cfg := f.config()
	cfg.RegionName = "Nowhere"
	if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "no \"container\" endpoint") {
		t.Fatalf("err = %v", err)
	}
	cfg.RegionName, cfg.Interface = "", "internalURL"
	cl, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ep, _ := cl.Endpoint(context.Background()); ep != "http://127.0.0.2:9/v1" {
		t.Fatalf("endpoint = %q", ep)
	}
}

func TestReauthenticatesOnceOn401(t *testing.T) {
	f := newFakeCloud(t)
	cl, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.valid = map[string]bool{} // the server forgets every token
	f.mu.Unlock()
	if _, err := cl.ListServices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.auths) != 2 {
		t.Fatalf("auths = %d, want 2", len(f.auths))
	}
	r, _ := f.last()
	if r.Header.Get("X-Auth-Token") != "tok-2" {
		t.Fatalf("retried with %q", r.Header.Get("X-Auth-Token"))
	}
}

func TestRenewsTokenBeforeExpiry(t *testing.T) {
	f := newFakeCloud(t)
	f.expires = 30 * time.Second // inside the refresh margin
	cl, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := cl.ListServices(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.auths) != 3 {
		t.Fatalf("auths = %d, want 3 (a new token per call)", len(f.auths))
	}
}

func TestTokenAuthRescopes(t *testing.T) {
	f := newFakeCloud(t)
	cl, err := New(context.Background(), Config{AuthURL: f.srv.URL + "/identity/v3", Token: "abc", ProjectID: "p1", RegionName: "RegionOne"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.ListServices(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := f.auths[0]["auth"].(map[string]any)["identity"].(map[string]any)
	if id["token"].(map[string]any)["id"] != "abc" {
		t.Fatalf("identity = %v", id)
	}
}

func TestStaticTokenAndEndpoint(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header
		w.Header().Set("X-Openstack-Request-Id", "req-1")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errors":[{"request_id":"","code":"container.not-found","status":404,"title":"Not Found","detail":"Container web could not be found.","links":[]}]}`)
	}))
	defer srv.Close()
	cl, err := New(context.Background(), Config{Token: "static", Endpoint: srv.URL + "/v1/", APIVersion: "latest"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.GetContainer(context.Background(), "web", false)
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %#v, want *api.Error", err)
	}
	if ae.Status != 404 || ae.Code != "container.not-found" || ae.RequestID != "req-1" {
		t.Fatalf("error = %+v", ae)
	}
	if StatusCode(err) != 404 || err.Error() != "Container web could not be found. (HTTP 404)" {
		t.Fatalf("err = %q", err)
	}
	if got.Get("X-Auth-Token") != "static" || got.Get("OpenStack-API-Version") != "container latest" {
		t.Fatalf("headers = %v", got)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no auth url", Config{Username: "u", Password: "p"}, "auth URL is required"},
		{"token without endpoint", Config{Token: "t"}, "endpoint is required"},
		{"bad version", Config{Endpoint: "http://x/v1", APIVersion: "1.99"}, "unsupported microversion"},
		{"bad auth type", Config{AuthType: "kerberos"}, "unsupported auth type"},
		{"no password", Config{AuthURL: "http://x", Username: "u"}, "a password is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestQuoteCommand(t *testing.T) {
	got := QuoteCommand([]string{"sh", "-c", "echo 'hi' \"x\""})
	want := `'sh' '-c' 'echo '"'"'hi'"'"' "x"'`
	if got != want {
		t.Fatalf("QuoteCommand = %s, want %s", got, want)
	}
}

func TestDecodeErrorPlainBody(t *testing.T) {
	resp := &http.Response{StatusCode: 502, Header: http.Header{}}
	err := decodeError(resp, []byte("bad gateway\n"))
	if err.Error() != "bad gateway (HTTP 502)" {
		t.Fatalf("err = %q", err)
	}
}

// TestCreateSentAgainWithItsKey: a create whose connection breaks before
// the answer is sent again with the same Idempotency-Key (by the client's
// retry, or by net/http's own, which replays requests carrying the header
// on a reused connection).
func TestCreateSentAgainWithItsKey(t *testing.T) {
	old := transportRetries
	transportRetries = []time.Duration{time.Millisecond, time.Millisecond}
	defer func() { transportRetries = old }()
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		if len(keys) == 1 {
			// The connection breaks before any answer.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"uuid":"u1","status":"Creating"}`)
	}))
	defer srv.Close()
	cl, err := New(context.Background(), Config{Token: "static", Endpoint: srv.URL + "/v1/", APIVersion: "latest"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cl.RunContainer(context.Background(), api.ContainerCreate{Image: "busybox"})
	if err != nil || c.UUID != "u1" {
		t.Fatalf("create: %v %+v", err, c)
	}
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("keys sent: %q", keys)
	}
	first := keys[0]
	keys = nil
	if _, err := cl.RunContainer(context.Background(), api.ContainerCreate{Image: "busybox"}); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] == first || keys[0] != keys[1] {
		t.Fatalf("each create needs its own key: first %q, then %q", first, keys)
	}
}
