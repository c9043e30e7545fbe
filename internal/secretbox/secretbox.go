// Package secretbox encrypts small secrets at rest (registry passwords)
// with AES-256-GCM under a key kept in a 0600 file of the data directory,
// generated on first use. There is no built-in default key. It imports
// only the standard library and errdefs.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
)

// prefix versions the sealed format.
const prefix = "v1:"

// Box seals and opens secrets.
type Box struct{ aead cipher.AEAD }

// Open loads the key in path, creating a random one (mode 0600, in a 0700
// directory) on first use.
func Open(path string) (*Box, error) {
	key, err := loadKey(path)
	if err != nil {
		return nil, err
	}
	return New(key)
}

// New returns a box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secretbox: key must be 32 bytes, got %d: %w", len(key), errdefs.ErrInvalidArgument)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

func loadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) != 32 {
			return nil, fmt.Errorf("secretbox: key file %s is corrupt", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secretbox: failed to read key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	// O_EXCL: two processes starting at once agree on the first key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return loadKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secretbox: failed to create key: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("secretbox: failed to write key: %w", werr)
	}
	return key, nil
}

// Seal encrypts plain; additional binds the ciphertext to its record (the
// registry's UUID), so a sealed value copied to another record does not
// open.
func (b *Box) Seal(plain, additional string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), []byte(additional))
	return prefix + base64.StdEncoding.EncodeToString(out), nil
}

// ErrCorrupt is returned for a value that does not open with this key.
var ErrCorrupt = errors.New("secretbox: sealed value does not open with this key")

// Open decrypts a value of Seal.
func (b *Box) Open(sealed, additional string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", ErrCorrupt
	}
	data, err := base64.StdEncoding.DecodeString(raw)
	n := b.aead.NonceSize()
	if err != nil || len(data) < n {
		return "", ErrCorrupt
	}
	plain, err := b.aead.Open(nil, data[:n], data[n:], []byte(additional))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}
