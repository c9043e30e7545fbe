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
	_, tmp, err := writeTempKey(path)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	// Link fails if another process won the race; its key is then used.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install signing key: %w", err)
	}
	return nil
}

// writeNewKey writes a new key to a temporary file beside path, for
// installKey.
func writeNewKey(path string) (ed25519.PrivateKey, string, error) {
	return writeTempKey(path)
}

// installKey atomically replaces path with the temporary key file tmp.
func installKey(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("install signing key: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// writeTempKey generates a key and writes it, mode 0600, to a temporary
// file in path's directory (created 0700 when missing).
func writeTempKey(path string) (ed25519.PrivateKey, string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, "", fmt.Errorf("encode signing key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".identity-key-*")
	if err != nil {
		return nil, "", fmt.Errorf("create signing key: %w", err)
	}
	fail := func(what string, err error) (ed25519.PrivateKey, string, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, "", fmt.Errorf("%s signing key: %w", what, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail("chmod", err)
	}
	if err := pem.Encode(tmp, &pem.Block{Type: pemType, Bytes: der}); err != nil {
		return fail("write", err)
	}
	if err := tmp.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return nil, "", fmt.Errorf("close signing key: %w", err)
	}
	return priv, tmp.Name(), nil
}
