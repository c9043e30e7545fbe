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
//	version(1) | len(1) key id | payload | ed25519 signature(64) over all before it
//
// with payload, version 2:
//
//	methods(1) issued(8, unix µs, BE) expires(8, unix s) audit(16)
//	hasParent(1) [parent audit(16)]
//	len(1) user id | len(1) user domain id | len(1) project id |
//	len(1) domain id | nroles(1) { len(1) role }
//
// The key id names the signing key of the key set (see keys.go), so keys
// rotate without invalidating tokens. The audit id is the token's unique
// id (jti): revocation events name it. Domain id is the scope of a
// domain-scoped token and the project's domain of a project-scoped one.
// Issued has microseconds so a revocation event (issued_before) separates
// tokens of the same second. Strings are at most 255 bytes; at most 255
// roles. Nothing in it is secret: the signature makes it tamper-proof, the
// expiry bounds its life.
const (
	tokenVersion  byte = 2
	auditLen           = 16
	sigLen             = ed25519.SignatureSize
	minPayloadLen      = 1 + 8 + 8 + auditLen + 1 + 1 + 1 + 1 + 1 + 1
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
	Methods      byte
	Issued       time.Time
	Expires      time.Time
	AuditID      [auditLen]byte
	HasParent    bool
	ParentID     [auditLen]byte // audit id of the token this one was re-scoped from
	UserID       string
	UserDomainID string
	ProjectID    string
	DomainID     string // scope domain, or the project's domain
	Roles        []string
}

// domainScoped reports a token scoped to a domain rather than a project.
func (c *claims) domainScoped() bool { return c.ProjectID == "" && c.DomainID != "" }

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

// sign encodes c and signs it with key, named kid.
func sign(kid string, key ed25519.PrivateKey, c *claims) (string, error) {
	buf := make([]byte, 0, 160+len(kid)+len(c.UserID)+len(c.ProjectID)+16*len(c.Roles))
	buf = append(buf, tokenVersion)
	var err error
	if buf, err = appendString(buf, kid); err != nil {
		return "", err
	}
	buf = append(buf, c.Methods)
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.Issued.UnixMicro()))
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.Expires.Unix()))
	buf = append(buf, c.AuditID[:]...)
	if c.HasParent {
		buf = append(buf, 1)
		buf = append(buf, c.ParentID[:]...)
	} else {
		buf = append(buf, 0)
	}
	for _, f := range []string{c.UserID, c.UserDomainID, c.ProjectID, c.DomainID} {
		if buf, err = appendString(buf, f); err != nil {
			return "", err
		}
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

// verify checks the signature of tok with the key its key id names in
// keys, and decodes it. Expiry is checked by the caller. An unknown key
// id gives errUnknownKey (the caller may refresh its key set).
func verify(keys func(kid string) ed25519.PublicKey, tok string) (*claims, error) {
	if len(tok) == 0 || len(tok) > maxTokenLen {
		return nil, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 2+minPayloadLen+sigLen || raw[0] != tokenVersion {
		return nil, errBadToken
	}
	msg, sig := raw[:len(raw)-sigLen], raw[len(raw)-sigLen:]
	d := decoder{p: msg[1:]}
	kid := d.string()
	if d.bad {
		return nil, errBadToken
	}
	pub := keys(kid)
	if pub == nil {
		return nil, errUnknownKey
	}
	if !ed25519.Verify(pub, msg, sig) {
		return nil, errBadToken
	}
	c, ok := decode(d.p)
	if !ok {
		return nil, errBadToken
	}
	return c, nil
}

// errUnknownKey is errBadToken for a key id outside the key set.
var errUnknownKey = fmt.Errorf("unknown signing key: %w", errBadToken)

// decode parses a signed payload; it still checks every bound.
func decode(p []byte) (*claims, bool) {
	d := decoder{p: p}
	c := &claims{}
	c.Methods = d.byte()
	c.Issued = time.UnixMicro(int64(d.uint64())).UTC()
	c.Expires = time.Unix(int64(d.uint64()), 0).UTC()
	copy(c.AuditID[:], d.bytes(auditLen))
	if d.byte() == 1 {
		c.HasParent = true
		copy(c.ParentID[:], d.bytes(auditLen))
	}
	c.UserID = d.string()
	c.UserDomainID = d.string()
	c.ProjectID = d.string()
	c.DomainID = d.string()
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
