package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/openzun/zun/internal/model"
)

func benchToken(b *testing.B) (ed25519.PrivateKey, string) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	c := &claims{
		Methods: methodPassword, Issued: now, Expires: now.Add(time.Hour),
		UserID: newID(), UserDomainID: DefaultDomainID, ProjectID: newID(), DomainID: DefaultDomainID,
		Roles: []string{"member", "reader"},
	}
	tok, err := sign(keyID(key.Public().(ed25519.PublicKey)), key, c)
	if err != nil {
		b.Fatal(err)
	}
	return key, tok
}

// BenchmarkValidate is the hot path of zun-api: the same token on every
// request of a client (cache hit after the first), with the revocation
// check every call makes.
func BenchmarkValidate(b *testing.B) {
	key, tok := benchToken(b)
	v := NewVerifier(key.Public().(ed25519.PublicKey))
	for i := range 100 { // a revocation list that is not empty
		v.Revoke(revocationFor(i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func revocationFor(i int) (r model.Revocation) {
	r.UserID = newID()
	r.IssuedBefore = time.Now()
	if i%2 == 0 {
		r.ProjectID = newID()
	}
	return r
}

// BenchmarkValidateUncached is the first sight of a token: decode,
// Ed25519 signature check and revocation check.
func BenchmarkValidateUncached(b *testing.B) {
	key, tok := benchToken(b)
	pub := key.Public().(ed25519.PublicKey)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		v := NewVerifier(pub) // an empty cache every time
		if _, _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateParallel(b *testing.B) {
	key, tok := benchToken(b)
	v := NewVerifier(key.Public().(ed25519.PublicKey))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := v.Validate(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSign is the signing part of a token issue alone.
func BenchmarkSign(b *testing.B) {
	key, _ := benchToken(b)
	kid := keyID(key.Public().(ed25519.PublicKey))
	now := time.Now()
	c := &claims{Methods: methodPassword, Issued: now, Expires: now.Add(time.Hour), UserID: newID(), ProjectID: newID(), Roles: []string{"member"}}
	for b.Loop() {
		if _, err := sign(kid, key, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssuePassword is POST /v3/auth/tokens with a password and a
// project scope, through HTTP against SQLite, at the production bcrypt
// cost (DefaultBcryptCost), from as many clients as GOMAXPROCS.
func BenchmarkIssuePassword(b *testing.B) {
	bcryptCost = DefaultBcryptCost
	defer func() { bcryptCost = bcrypt.MinCost }()
	e := newBenchEnv(b)
	body := passwordAuth(map[string]any{"name": "alice", "domain": map[string]any{"name": "Default"}}, alicePassword, projectScope("demo"))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, _ := e.do("POST", "/v3/auth/tokens?nocatalog", body, nil)
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("issue: %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
