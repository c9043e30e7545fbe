package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"
)

func benchToken(b *testing.B) (ed25519.PrivateKey, string) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	c := &claims{
		Methods: methodPassword, Issued: now.Truncate(time.Second), Expires: now.Add(time.Hour),
		UserID: newID(), ProjectID: newID(), Roles: []string{"member", "reader"},
	}
	tok, err := sign(key, c)
	if err != nil {
		b.Fatal(err)
	}
	return key, tok
}

// BenchmarkValidate is the hot path of zun-api: the same token on every
// request of a client (cache hit after the first).
func BenchmarkValidate(b *testing.B) {
	key, tok := benchToken(b)
	v := NewVerifier(key.Public().(ed25519.PublicKey))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateUncached is the first sight of a token: decode and
// Ed25519 signature check.
func BenchmarkValidateUncached(b *testing.B) {
	key, tok := benchToken(b)
	pub := key.Public().(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verify(pub, tok); err != nil {
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

func BenchmarkIssue(b *testing.B) {
	key, _ := benchToken(b)
	now := time.Now()
	c := &claims{Methods: methodPassword, Issued: now, Expires: now.Add(time.Hour), UserID: newID(), ProjectID: newID(), Roles: []string{"member"}}
	for b.Loop() {
		if _, err := sign(key, c); err != nil {
			b.Fatal(err)
		}
	}
}
