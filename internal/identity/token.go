package identity

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/errdefs"
)

// A token is base64url (no padding) of
//
//	version(1) | payload | ed25519 signature(64) over version|payload
//
// with payload, version 1:
//
//	methods(1) issued(8, unix s, BE) expires(8) audit(16)
//	hasParent(1) [parent audit(16)]
//	len(1) user id | len(1) project id | nroles(1) { len(1) role }
//
// Strings are at most 255 bytes; at most 255 roles. Nothing in it is secret:
// the signature makes it tamper-proof, the expiry bounds its life.
const (
	tokenVersion  byte = 1
	auditLen           = 16
	sigLen             = ed25519.SignatureSize
	minPayloadLen      = 1 + 8 + 8 + auditLen + 1 + 1 + 1 + 1
	// maxTokenLen bounds what is even decoded.
	maxTokenLen = 8192
)

// Authentication methods, as a bit set in the token.
const (
	methodPassword byte = 1 << iota
	methodToken
)

var methodNames = []struct {
	bit  byte
	name string
}{{methodPassword, "password"}, {methodToken, "token"}}

// claims is the content of a token. It is immutable once built.
type claims struct {
	Methods   byte
	Issued    time.Time
	Expires   time.Time
	AuditID   [auditLen]byte
	HasParent bool
	ParentID  [auditLen]byte // audit id of the token this one was re-scoped from
	UserID    string
	ProjectID string
	Roles     []string
}

func (c *claims) methodList() []string {
	out := make([]string, 0, 2)
	for _, m := range methodNames {
		if c.Methods&m.bit != 0 {
			out = append(out, m.name)
		}
	}
	return out
}

func (c *claims) auditIDs() []string {
	ids := []string{base64.RawURLEncoding.EncodeToString(c.AuditID[:])}
	if c.HasParent {
		ids = append(ids, base64.RawURLEncoding.EncodeToString(c.ParentID[:]))
	}
	return ids
}

// sign encodes and signs c.
func sign(key ed25519.PrivateKey, c *claims) (string, error) {
	buf := make([]byte, 0, 128+len(c.UserID)+len(c.ProjectID)+16*len(c.Roles))
	buf = append(buf, tokenVersion, c.Methods)
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.Issued.Unix()))
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.Expires.Unix()))
	buf = append(buf, c.AuditID[:]...)
	if c.HasParent {
		buf = append(buf, 1)
		buf = append(buf, c.ParentID[:]...)
	} else {
		buf = append(buf, 0)
	}
	var err error
	if buf, err = appendString(buf, c.UserID); err != nil {
		return "", err
	}
	if buf, err = appendString(buf, c.ProjectID); err != nil {
		return "", err
	}
	if len(c.Roles) > 255 {
		return "", fmt.Errorf("token: %d roles: %w", len(c.Roles), errdefs.ErrInvalidArgument)
	}
	buf = append(buf, byte(len(c.Roles)))
	for _, r := range c.Roles {
		if buf, err = appendString(buf, r); err != nil {
			return "", err
		}
	}
	buf = append(buf, ed25519.Sign(key, buf)...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

func appendString(buf []byte, s string) ([]byte, error) {
	if len(s) > 255 {
		return nil, fmt.Errorf("token: field of %d bytes: %w", len(s), errdefs.ErrInvalidArgument)
	}
	buf = append(buf, byte(len(s)))
	return append(buf, s...), nil
}

// errBadToken is the one error for any invalid token, so the reason never
// reaches the caller (it is not logged either: tokens are not logged).
var errBadToken = errdefs.New(errdefs.ErrUnauthorized, "the token is invalid or expired")

// verify checks the signature of tok and decodes it. Expiry is checked by
// the caller.
func verify(pub ed25519.PublicKey, tok string) (*claims, error) {
	if len(tok) == 0 || len(tok) > maxTokenLen {
		return nil, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 1+minPayloadLen+sigLen || raw[0] != tokenVersion {
		return nil, errBadToken
	}
	msg, sig := raw[:len(raw)-sigLen], raw[len(raw)-sigLen:]
	if !ed25519.Verify(pub, msg, sig) {
		return nil, errBadToken
	}
	c, ok := decode(msg[1:])
	if !ok {
		return nil, errBadToken
	}
	return c, nil
}

// decode parses a signed payload; it still checks every bound.
func decode(p []byte) (*claims, bool) {
	d := decoder{p: p}
	c := &claims{}
	c.Methods = d.byte()
	c.Issued = time.Unix(int64(d.uint64()), 0).UTC()
	c.Expires = time.Unix(int64(d.uint64()), 0).UTC()
	copy(c.AuditID[:], d.bytes(auditLen))
	if d.byte() == 1 {
		c.HasParent = true
		copy(c.ParentID[:], d.bytes(auditLen))
	}
	c.UserID = d.string()
	c.ProjectID = d.string()
	n := int(d.byte())
	if n > 0 {
		c.Roles = make([]string, 0, n)
	}
	for range n {
		c.Roles = append(c.Roles, d.string())
	}
	if d.bad || len(d.p) != 0 || c.UserID == "" || c.Methods == 0 {
		return nil, false
	}
	return c, true
}

type decoder struct {
	p   []byte
	bad bool
}

func (d *decoder) bytes(n int) []byte {
	if d.bad || len(d.p) < n {
		d.bad = true
		return nil
	}
	b := d.p[:n]
	d.p = d.p[n:]
	return b
}

func (d *decoder) byte() byte {
	b := d.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *decoder) uint64() uint64 {
	b := d.bytes(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (d *decoder) string() string {
	return string(d.bytes(int(d.byte())))
}
