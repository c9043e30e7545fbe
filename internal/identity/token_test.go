package identity

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/openzun/zun/internal/errdefs"
)

func TestValidate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.aliceToken(projectScope("demo"))

	id, exp, err := e.svc.Validate(ctx, tok)
	if err != nil || id.UserID != e.aliceID || id.ProjectID != e.demoID || !id.HasRole("member") || id.IsAdmin() {
		t.Fatalf("good token: %+v %v", id, err)
	}
	// Callers may not corrupt the cache through the returned slice.
	id.Roles[0] = "admin"
	if again, _, _ := e.svc.Validate(ctx, tok); again.IsAdmin() {
		t.Fatal("returned roles alias the cache")
	}

	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other := newEnvSameStore(t, e)
	foreign := other.aliceToken(projectScope("demo"))

	bad := map[string]string{
		"empty":            "",
		"not base64":       "!!!!",
		"short":            base64.RawURLEncoding.EncodeToString(raw[:20]),
		"version":          tamper(0),
		"methods":          tamper(1),
		"expiry":           tamper(17),
		"user id":          tamper(40),
		"signature":        tamper(len(raw) - 1),
		"truncated":        tok[:len(tok)-2],
		"appended":         tok + "AA",
		"padded":           tok + "==",
		"foreign key":      foreign,
		"huge":             strings.Repeat("A", maxTokenLen+4),
		"role added":       "",
		"std base64":       base64.StdEncoding.EncodeToString(raw),
		"whitespace":       " " + tok,
		"another's prefix": foreign[:40] + tok[40:],
	}
	// A well-formed payload with a forged role but the old signature.
	c, ok := decode(raw[2+int(raw[1]) : len(raw)-sigLen])
	if !ok {
		t.Fatal("decode own token")
	}
	c.Roles = append(c.Roles, "admin")
	forged, err := sign(e.svc.signer.Load().kid, other.svc.signer.Load().key, c)
	if err != nil {
		t.Fatal(err)
	}
	fr, _ := base64.RawURLEncoding.DecodeString(forged)
	copy(fr[len(fr)-sigLen:], raw[len(raw)-sigLen:])
	bad["role added"] = base64.RawURLEncoding.EncodeToString(fr)

	for name, b := range bad {
		if b == tok {
			t.Fatalf("%s: equals the good token", name)
		}
		_, _, err := e.svc.Validate(ctx, b)
		if !errors.Is(err, errdefs.ErrUnauthorized) {
			t.Errorf("%s: err %v, want unauthorized", name, err)
		}
		if err != nil && strings.Contains(err.Error(), b) && b != "" {
			t.Errorf("%s: error echoes the token", name)
		}
	}

	// Expired, both after a cache hit and on a fresh verifier.
	e.svc.setClock(func() time.Time { return exp })
	if _, _, err := e.svc.Validate(ctx, tok); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("expired (cached): %v", err)
	}
	fresh := NewVerifier(e.svc.PublicKey())
	fresh.now = func() time.Time { return exp.Add(time.Second) }
	if _, _, err := fresh.Validate(ctx, tok); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("expired (fresh): %v", err)
	}
	// Issued too far in the future.
	fresh.now = func() time.Time { return time.Now().Add(-time.Hour) }
	if _, _, err := fresh.Validate(ctx, tok); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("issued in the future: %v", err)
	}
}

// newEnvSameStore builds a second, independent deployment (own key, own
// database) with the same users and projects: its keys are not e's.
func newEnvSameStore(t *testing.T, _ *env) *env { return newEnv(t) }

func TestKeyFile(t *testing.T) {
	e := newEnv(t)
	st, err := os.Stat(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %04o", st.Mode().Perm())
	}
	before, err := os.ReadFile(e.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	tok := e.aliceToken(projectScope("demo"))

	// A restart reuses the key: old tokens stay valid.
	restarted := e.newService(e.keyFile)
	id, _, err := restarted.Validate(context.Background(), tok)
	if err != nil || id.UserID != e.aliceID {
		t.Fatalf("token after restart: %+v %v", id, err)
	}
	after, _ := os.ReadFile(e.keyFile)
	if string(before) != string(after) {
		t.Fatal("key file rewritten on restart")
	}
	entries, _ := os.ReadDir(filepath.Dir(e.keyFile))
	if len(entries) != 1 {
		t.Fatalf("stray files beside the key: %v", entries)
	}

	// A key readable by others is refused.
	if err := os.Chmod(e.keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{KeyFile: e.keyFile, PublicURL: "http://127.0.0.1:9517/identity"}, e.st, nil); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Fatalf("group-readable key: %v", err)
	}
	// Garbage is refused, not replaced.
	bad := filepath.Join(t.TempDir(), "bad.key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{KeyFile: bad, PublicURL: "http://127.0.0.1:9517/identity"}, e.st, nil); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Fatalf("garbage key: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	st := newTestStore(t)
	key := filepath.Join(t.TempDir(), "k")
	for name, cfg := range map[string]Config{
		"no key":         {PublicURL: "http://h/identity"},
		"relative url":   {KeyFile: key, PublicURL: "/identity"},
		"no url":         {KeyFile: key},
		"ftp url":        {KeyFile: key, PublicURL: "ftp://h/identity"},
		"negative ttl":   {KeyFile: key, PublicURL: "http://h/identity", TokenTTL: -time.Second},
		"untyped entry":  {KeyFile: key, PublicURL: "http://h/identity", Catalog: []CatalogEntry{{URL: "http://h/v1"}}},
		"bad entry url":  {KeyFile: key, PublicURL: "http://h/identity", Catalog: []CatalogEntry{{Type: "container", URL: "h:1/v1"}}},
		"huge token ttl": {KeyFile: key, PublicURL: "http://h/identity", TokenTTL: 365 * 24 * time.Hour},
	} {
		if _, err := New(cfg, st, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	svc, err := New(Config{KeyFile: key, PublicURL: "http://h:9517/identity/", TokenTTL: time.Minute, Region: "R2"}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat := svc.catalog("p1")
	if len(cat) != 1 || cat[0].Type != "identity" || cat[0].Endpoints[0].URL != "http://h:9517/identity" || cat[0].Endpoints[0].Region != "R2" {
		t.Fatalf("catalog: %+v", cat)
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := GeneratePassword()
		if len(p) != 24 || strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" || seen[p] {
			t.Fatalf("password %q", p)
		}
		seen[p] = true
	}
	h, err := HashPassword("correct horse")
	if err != nil || DefaultBcryptCost != 10 {
		t.Fatalf("hash %q %v", h, err)
	}
	if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost != bcryptCost {
		t.Fatalf("cost %d %v", cost, err)
	}
	if !checkPassword(h, "correct horse") || checkPassword(h, "correct horsf") || checkPassword("", "") {
		t.Fatal("checkPassword")
	}
	if _, err := HashPassword(strings.Repeat("x", 73)); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("73-byte password: %v", err)
	}
}

func TestVerifierCacheBounded(t *testing.T) {
	e := newEnv(t)
	v := NewVerifier(e.svc.PublicKey())
	now := time.Now()
	v.now = func() time.Time { return now }
	v.limit = 64
	for i := range 1000 {
		c := &claims{Methods: methodPassword, Issued: now.Truncate(time.Second), Expires: now.Add(time.Hour), UserID: "u", ProjectID: string(rune('a' + i%26))}
		c.AuditID[0], c.AuditID[1], c.AuditID[2] = byte(i), byte(i>>8), byte(i>>16)
		tok, err := sign(e.svc.signer.Load().kid, e.svc.signer.Load().key, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := v.Validate(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	v.cache.Range(func(any, any) bool { n++; return true })
	if got := v.size.Load(); got > v.limit || got < v.limit/2 || int64(n) != got {
		t.Fatalf("cache size %d, %d entries", got, n)
	}
}
