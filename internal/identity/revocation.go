package identity

import (
	"encoding/base64"
	"maps"
	"slices"
	"time"

	"github.com/openzun/zun/internal/model"
)

// Fields of a revocation event, as bits of its shape.
const (
	revAudit uint8 = 1 << iota
	revUser
	revProject
	revDomain
)

// revKey is the matched fields of an event; unset fields are zero.
type revKey struct {
	audit   [auditLen]byte
	user    string
	project string
	domain  string
}

// revIndex answers "is this token revoked" with one map lookup per event
// shape (at most a handful) instead of a scan of every event. It is
// immutable; with returns a copy.
type revIndex struct {
	latest map[revKey]time.Time // the latest issued_before per key
	shapes []uint8
}

func newRevIndex(events []model.Revocation) *revIndex {
	ix := &revIndex{latest: make(map[revKey]time.Time, len(events))}
	for _, e := range events {
		ix.add(e)
	}
	return ix
}

func (ix *revIndex) with(e model.Revocation) *revIndex {
	n := &revIndex{latest: maps.Clone(ix.latest), shapes: slices.Clone(ix.shapes)}
	if n.latest == nil {
		n.latest = map[revKey]time.Time{}
	}
	n.add(e)
	return n
}

func (ix *revIndex) add(e model.Revocation) {
	var (
		k     revKey
		shape uint8
	)
	if e.AuditID != "" {
		raw, err := base64.RawURLEncoding.DecodeString(e.AuditID)
		if err != nil || len(raw) != auditLen {
			return // matches no token
		}
		copy(k.audit[:], raw)
		shape |= revAudit
	}
	if e.UserID != "" {
		k.user, shape = e.UserID, shape|revUser
	}
	if e.ProjectID != "" {
		k.project, shape = e.ProjectID, shape|revProject
	}
	if e.DomainID != "" {
		k.domain, shape = e.DomainID, shape|revDomain
	}
	if shape == 0 {
		return
	}
	if t, ok := ix.latest[k]; !ok || e.IssuedBefore.After(t) {
		ix.latest[k] = e.IssuedBefore
	}
	if !slices.Contains(ix.shapes, shape) {
		ix.shapes = append(ix.shapes, shape)
	}
}

// revoked reports whether an event matches c: every field of the event
// equals the token's (an event's domain matches the token's scope or
// project domain and its user's domain) and c was issued at or before the
// event's issued_before.
func (ix *revIndex) revoked(c *claims) bool {
	for _, shape := range ix.shapes {
		var k revKey
		if shape&revAudit != 0 {
			k.audit = c.AuditID
		}
		if shape&revUser != 0 {
			k.user = c.UserID
		}
		if shape&revProject != 0 {
			if c.ProjectID == "" {
				continue
			}
			k.project = c.ProjectID
		}
		if shape&revDomain == 0 {
			if ix.hit(k, c) {
				return true
			}
			continue
		}
		for _, d := range []string{c.DomainID, c.UserDomainID} {
			if d == "" {
				continue
			}
			k.domain = d
			if ix.hit(k, c) {
				return true
			}
		}
	}
	return false
}

func (ix *revIndex) hit(k revKey, c *claims) bool {
	t, ok := ix.latest[k]
	return ok && !c.Issued.After(t)
}
