package keystone

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/testutil/keystonetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	keystonetest.StopShared()
	os.Exit(code)
}

// counter is a reverse proxy in front of Keystone that counts logins and
// validations.
type counter struct {
	URL              string
	logins, validate atomic.Int64
}

func newCounter(t *testing.T, k *keystonetest.Keystone) *counter {
	t.Helper()
	target, err := url.Parse(k.URL)
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	c := &counter{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth/tokens") {
			switch r.Method {
			case http.MethodPost:
				c.logins.Add(1)
			case http.MethodGet:
				c.validate.Add(1)
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL + "/v3"
	return c
}

func (c *counter) want(t *testing.T, logins, validations int64) {
	t.Helper()
	if l, v := c.logins.Load(), c.validate.Load(); l != logins || v != validations {
		t.Fatalf("keystone saw %d logins and %d validations, want %d and %d", l, v, logins, validations)
	}
}

// clock is a settable clock starting at the real time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is the Keystone of the test binary with a service user and a
// project with a member, created once.
type fixture struct {
	k       *keystonetest.Keystone
	service keystonetest.Credentials
	alice   keystonetest.Credentials
	project string
}

var (
	fixOnce sync.Once
	fix     fixture
)

func setup(t *testing.T) fixture {
	t.Helper()
	k := keystonetest.Shared(t)
	fixOnce.Do(func() {
		svcProject := k.CreateProject(t, "service")
		k.CreateUser(t, "zun", "zun-service-pw", svcProject, "admin")
		p := k.CreateProject(t, "kv-demo")
		k.CreateUser(t, "kv-alice", "alice-pw-1", p, "member", "reader")
		fix = fixture{k: k, project: p,
			service: keystonetest.Credentials{User: "zun", Password: "zun-service-pw", Project: "service"},
			alice:   keystonetest.Credentials{User: "kv-alice", Password: "alice-pw-1", Project: "kv-demo"}}
	})
	if fix.k == nil {
		t.Fatal("fixture set-up failed")
	}
	return fix
}

func newValidator(t *testing.T, authURL string, svc keystonetest.Credentials, clk *clock) *Validator {
	t.Helper()
	v, err := New(Config{AuthURL: authURL, Username: svc.User, Password: svc.Password, Project: svc.Project,
		Timeout: 30 * time.Second}, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if clk != nil {
		v.now = clk.now
	}
	return v
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// TestValidate: a user token maps to the identity Keystone describes, a
// second validation is a cache hit, concurrent validations of one token
// make one request, and invalid tokens are 401 and briefly remembered.
func TestValidate(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	c := newCounter(t, f.k)
	v := newValidator(t, c.URL, f.service, nil)
	tok := f.k.Token(t, f.alice)

	id, exp, err := v.Validate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(id.Roles)
	if id.UserName != "kv-alice" || id.UserID == "" || id.ProjectID != f.project || id.ProjectName != "kv-demo" ||
		id.DomainID != "default" || !slices.Equal(id.Roles, []string{"member", "reader"}) {
		t.Errorf("identity = %+v", id)
	}
	if d := time.Until(exp); d < 50*time.Minute || d > 61*time.Minute {
		t.Errorf("expiry in %s, want about an hour", d)
	}
	c.want(t, 1, 1)
	if id2, _, err := v.Validate(ctx, tok); err != nil || id2.UserID != id.UserID {
		t.Fatalf("cached validation: %+v %v", id2, err)
	}
	c.want(t, 1, 1)

	// A burst on a new token: one request to Keystone.
	tok2 := f.k.Token(t, f.alice)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, _, err := v.Validate(ctx, tok2); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.want(t, 1, 2)

	for _, bad := range []string{"bogus", tok + "x", tok[:len(tok)-4]} {
		if _, _, err := v.Validate(ctx, bad); !errors.Is(err, errdefs.ErrUnauthorized) {
			t.Errorf("Validate(bad) = %v, want unauthorized", err)
		}
	}
	c.want(t, 1, 5)
	if _, _, err := v.Validate(ctx, "bogus"); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Errorf("Validate(bogus) again = %v", err)
	}
	c.want(t, 1, 5) // remembered
	// What cannot be a token never reaches Keystone (nor a header).
	for _, bad := range []string{"", "a b", "tok\r\nX-Roles: admin", strings.Repeat("a", maxToken+1)} {
		if _, _, err := v.Validate(ctx, bad); !errors.Is(err, errdefs.ErrUnauthorized) {
			t.Errorf("Validate(%.20q) = %v, want unauthorized", bad, err)
		}
	}
	c.want(t, 1, 5)
}

// TestExpiryAndRevocation: a cached answer lasts at most the cache TTL
// (so a revoked token stops working) and never past the token's expiry.
func TestExpiryAndRevocation(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	clk := &clock{t: time.Now()}
	c := newCounter(t, f.k)
	v := newValidator(t, c.URL, f.service, clk)

	tok := f.k.Token(t, f.alice)
	if _, _, err := v.Validate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	f.k.Revoke(t, tok)
	if _, _, err := v.Validate(ctx, tok); err != nil {
		t.Fatalf("within the cache TTL: %v", err)
	}
	c.want(t, 1, 1)
	clk.advance(defaultCacheTTL + time.Second)
	if _, _, err := v.Validate(ctx, tok); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("revoked token after the cache TTL: %v", err)
	}
	c.want(t, 1, 2)

	// A token past its expiry (by our clock) is refused even though the
	// cache TTL would allow it and Keystone's clock still accepts it.
	tok2 := f.k.Token(t, f.alice)
	_, exp, err := v.Validate(ctx, tok2)
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(exp.Sub(clk.now()) + time.Second)
	if _, _, err := v.Validate(ctx, tok2); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("expired token: %v", err)
	}
}

// TestServiceTokenRenewal: the service token is reused until shortly
// before it expires, then renewed; one Keystone refuses (revoked) is
// replaced at once.
func TestServiceTokenRenewal(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	clk := &clock{t: time.Now()}
	c := newCounter(t, f.k)
	v := newValidator(t, c.URL, f.service, clk)

	if err := v.Check(ctx); err != nil {
		t.Fatal(err)
	}
	c.want(t, 1, 0)
	validate := func() {
		t.Helper()
		if _, _, err := v.Validate(ctx, f.k.Token(t, f.alice)); err != nil {
			t.Fatal(err)
		}
	}
	validate()
	clk.advance(30 * time.Minute)
	validate()
	c.want(t, 1, 2)
	clk.advance(28*time.Minute + 30*time.Second) // less than renewMargin before expiry
	validate()
	c.want(t, 2, 3)

	f.k.Revoke(t, v.svc.token)
	validate()
	c.want(t, 3, 5) // refused, logged in again, asked again
}

// TestKeystoneFaults: an unreachable Keystone, wrong service credentials
// and a service user without the right to validate are "unavailable",
// never a valid identity.
func TestKeystoneFaults(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	tok := f.k.Token(t, f.alice)

	srv := httptest.NewServer(http.NotFoundHandler())
	down := srv.URL + "/v3"
	srv.Close()
	plain := f.k.CreateProject(t, "kv-plain")
	f.k.CreateUser(t, "kv-plain-svc", "plain-pw-1", plain, "member")

	for name, v := range map[string]*Validator{
		"unreachable":    newValidator(t, down, f.service, nil),
		"wrong password": newValidator(t, f.k.URL, keystonetest.Credentials{User: "zun", Password: "nope", Project: "service"}, nil),
		"not admin":      newValidator(t, f.k.URL, keystonetest.Credentials{User: "kv-plain-svc", Password: "plain-pw-1", Project: "kv-plain"}, nil),
	} {
		id, _, err := v.Validate(ctx, tok)
		if !errors.Is(err, errdefs.ErrUnavailable) || errors.Is(err, errdefs.ErrUnauthorized) {
			t.Errorf("%s: Validate = %+v, %v; want unavailable", name, id, err)
		}
		if strings.Contains(err.Error(), tok) {
			t.Errorf("%s: error shows the token", name)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name, url, want string
		wantErr         bool
	}{
		{"bare", "http://ks:5000", "http://ks:5000/v3", false},
		{"v3 slash", "https://ks/identity/v3/", "https://ks/identity/v3", false},
		{"v2", "http://ks:5000/v2.0", "", true},
		{"no scheme", "ks:5000", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Config{AuthURL: tc.url, Username: "u", Password: "p", Project: "s"}.withDefaults()
			if (err != nil) != tc.wantErr || (err == nil && c.AuthURL != tc.want) {
				t.Errorf("AuthURL %q: %q, %v", tc.url, c.AuthURL, err)
			}
		})
	}
	if _, err := New(Config{AuthURL: "http://ks"}, nil); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("missing credentials: %v", err)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newCache(100)
	now := time.Now()
	for i := range 1000 {
		c.put(keyOf(string(rune(i))+"tok"), answer{}, now.Add(time.Minute), now)
	}
	if n := c.len(); n > 100 {
		t.Fatalf("cache holds %d entries, limit 100", n)
	}
	k := keyOf("x")
	c.put(k, answer{}, now.Add(time.Second), now)
	if _, ok := c.get(k, now.Add(2*time.Second)); ok {
		t.Fatal("expired entry served")
	}
}
