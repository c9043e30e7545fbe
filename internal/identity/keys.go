package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/openzun/zun/internal/model"
)

// keyID names a public key in tokens and in the key set: the first 8
// bytes of its SHA-256, in hex.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// signer is the active signing key of a Service.
type signer struct {
	kid     string
	key     ed25519.PrivateKey
	modTime time.Time // of the key file when read
}

// KeyStore is where rotation publishes public keys (store.Identity).
type KeyStore interface {
	AddSigningKey(ctx context.Context, k model.SigningKey) error
	RetireSigningKeys(ctx context.Context, keepID string, expiresAt time.Time) error
}

// RotateKey replaces the signing key at keyFile with a new one. The new
// public key is published before the file changes, so every verifier
// accepts it by the time a token carries it; the previous keys stay
// accepted for ttl plus a margin (the refresh bound and clock skew), by
// which time every token they signed has expired, also tokens signed by
// identity processes that have not noticed the new file yet. Running
// services load the new file within their refresh bound.
func RotateKey(ctx context.Context, keyFile string, ttl time.Duration, ks KeyStore) (string, error) {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	priv, tmp, err := writeNewKey(keyFile)
	if err != nil {
		return "", err
	}
	pub := priv.Public().(ed25519.PublicKey)
	kid := keyID(pub)
	now := time.Now().UTC()
	if err := ks.AddSigningKey(ctx, model.SigningKey{ID: kid, PublicKey: pub, CreatedAt: now}); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("publish signing key: %w", err)
	}
	if err := installKey(tmp, keyFile); err != nil {
		return "", err
	}
	if err := ks.RetireSigningKeys(ctx, kid, now.Add(ttl+maxSkew+DefaultRefresh)); err != nil {
		return "", fmt.Errorf("retire previous signing keys: %w", err)
	}
	return kid, nil
}

// loadSigner reads the key file into a signer.
func loadSigner(path string) (*signer, error) {
	key, err := loadKey(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("stat signing key: %w", err)
	}
	return &signer{kid: keyID(key.Public().(ed25519.PublicKey)), key: key, modTime: st.ModTime()}, nil
}
