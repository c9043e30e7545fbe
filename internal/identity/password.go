package identity

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/openzun/zun/internal/errdefs"
)

// DefaultBcryptCost is the bcrypt cost of new password hashes.
const DefaultBcryptCost = 10

// bcryptCost is DefaultBcryptCost; tests lower it, as bcrypt under the race
// detector is two orders of magnitude slower.
var bcryptCost = DefaultBcryptCost

const (
	// maxPasswordLen is bcrypt's limit; longer passwords are refused at
	// creation and never match at login.
	maxPasswordLen = 72
	minPasswordLen = 8
)

// HashPassword returns the bcrypt hash of password, for model.User's
// PasswordHash.
func HashPassword(password string) (string, error) {
	if len(password) < minPasswordLen || len(password) > maxPasswordLen {
		return "", fmt.Errorf("password must be %d to %d bytes long: %w", minPasswordLen, maxPasswordLen, errdefs.ErrInvalidArgument)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the user does not exist, so that an
// unknown user costs as much time as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, err := bcrypt.GenerateFromPassword([]byte(GeneratePassword()), bcryptCost)
	if err != nil {
		panic(fmt.Sprintf("identity: bcrypt of a random password failed: %v", err))
	}
	return h
})

// checkPassword reports whether password matches hash; an empty hash (no
// such user, or a user without password) never matches but costs the same.
// bcrypt compares in constant time.
func checkPassword(hash, password string) bool {
	if len(password) > maxPasswordLen {
		password = password[:maxPasswordLen]
		hash = "" // refuse, yet spend the same time
	}
	h := []byte(hash)
	if hash == "" {
		h = dummyHash()
	}
	err := bcrypt.CompareHashAndPassword(h, []byte(password))
	return err == nil && hash != ""
}

// GeneratePassword returns a random URL-safe password of 24 characters
// (144 bits of entropy).
func GeneratePassword() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand.Read never fails on supported platforms.
		panic(fmt.Sprintf("identity: read random: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
