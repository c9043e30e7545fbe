package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openzun/zun/internal/errdefs"
)

const pemType = "PRIVATE KEY"

// loadOrCreateKey reads the Ed25519 key at path, creating it (0600, in a
// 0700 directory if that is missing) when there is none. Creation is atomic:
// the key is written to a temporary file and linked into place, so a crash
// never leaves a truncated key and two processes starting at once agree on
// one key.
func loadOrCreateKey(path string) (ed25519.PrivateKey, bool, error) {
	key, err := loadKey(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := createKey(path); err != nil {
		return nil, false, err
	}
	key, err = loadKey(path)
	return key, err == nil, err
}

func loadKey(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open signing key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat signing key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("signing key %s is not a regular file: %w", path, errdefs.ErrFailedPrecondition)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s has mode %04o, want 0600 or stricter: %w", path, st.Mode().Perm(), errdefs.ErrFailedPrecondition)
	}
	buf := make([]byte, 4096)
	n, err := f.Read(buf)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	block, _ := pem.Decode(buf[:n])
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("signing key %s is not a PEM %q block: %w", path, pemType, errdefs.ErrFailedPrecondition)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w: %w", path, err, errdefs.ErrFailedPrecondition)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s is %T, want ed25519: %w", path, parsed, errdefs.ErrFailedPrecondition)
	}
	return key, nil
}

func createKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("encode signing key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".identity-key-*")
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod signing key: %w", err)
	}
	if err := pem.Encode(tmp, &pem.Block{Type: pemType, Bytes: der}); err != nil {
		tmp.Close()
		return fmt.Errorf("write signing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close signing key: %w", err)
	}
	// Link fails if another process won the race; its key is then used.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install signing key: %w", err)
	}
	return nil
}
