package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/openzun/zun/internal/zunctx"
)

// Target is what a rule is checked against: the project and user owning
// the object, and any other attribute a rule may name as %(name)s.
type Target struct {
	ProjectID string
	UserID    string
	// Attrs holds further attributes; an empty value counts as absent.
	Attrs map[string]string
}

// lookup returns the target attribute key; "" means absent, and a check
// substituting an absent attribute fails, as oslo's KeyError does.
func (t *Target) lookup(key string) string {
	switch key {
	case "project_id":
		if t.ProjectID != "" {
			return t.ProjectID
		}
	case "user_id":
		if t.UserID != "" {
			return t.UserID
		}
	}
	return t.Attrs[key]
}

type op uint8

const (
	opTrue op = iota
	opFalse
	opAnd
	opOr
	opNot
	opRule
	opRole
	opGeneric
	opLiteral
)

// node is one element of a compiled check tree. A concrete type rather than
// an interface keeps evaluation free of allocations.
type node struct {
	op      op
	kids    []*node
	ref     *ruleRef
	cred    credKey
	literal string
	match   template
}

// ruleRef is a `rule:name` check, linked to the compiled rule at load.
type ruleRef struct {
	name   string
	target *node
}

// credKey names a credential of the caller.
type credKey uint8

const (
	credUserID credKey = iota
	credUserName
	credProjectID
	credProjectName
	credDomainID
	credRoles
	credIsAdmin
)

var credKeys = map[string]credKey{
	"user_id": credUserID, "user_name": credUserName, "project_id": credProjectID,
	"project_name": credProjectName, "domain_id": credDomainID, "roles": credRoles, "is_admin": credIsAdmin,
}

func credKeyList() string {
	out := make([]string, 0, len(credKeys))
	for k := range credKeys {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// template is a match with %(name)s substitutions, split at compile time
// into literal text and target keys.
type template []tplPart

type tplPart struct {
	text string // literal text, or the key when isKey
	key  bool
}

func parseTemplate(s string) (template, error) {
	var out template
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		end := strings.Index(s[i:], ")s")
		if i+1 >= len(s) || s[i+1] != '(' || end < 0 {
			return nil, fmt.Errorf("bad substitution in %q: use %%(name)s", s)
		}
		key := s[i+2 : i+end]
		if key == "" || strings.ContainsAny(key, "()%") {
			return nil, fmt.Errorf("bad substitution in %q: use %%(name)s", s)
		}
		if lit.Len() > 0 {
			out = append(out, tplPart{text: lit.String()})
			lit.Reset()
		}
		out = append(out, tplPart{text: key, key: true})
		i += end + 1
	}
	if lit.Len() > 0 || len(out) == 0 {
		out = append(out, tplPart{text: lit.String()})
	}
	return out, nil
}

// matches reports whether the template, substituted from t, equals v
// (case-insensitively with fold), without building the string.
func (tp template) matches(v string, t *Target, fold bool) bool {
	for _, p := range tp {
		s := p.text
		if p.key {
			if s = t.lookup(p.text); s == "" {
				return false
			}
		}
		if len(v) < len(s) {
			return false
		}
		if fold && !strings.EqualFold(v[:len(s)], s) || !fold && v[:len(s)] != s {
			return false
		}
		v = v[len(s):]
	}
	return v == ""
}

// evalState is one evaluation: the caller, the target, and is_admin,
// computed at most once from context_is_admin.
type evalState struct {
	e     *Enforcer
	id    *zunctx.Identity
	t     *Target
	admin int8 // 0 not computed, 1 computing or false, 2 true
}

func (s *evalState) isAdmin() bool {
	if s.admin == 0 {
		// While context_is_admin is evaluated, is_admin is false, so a rule
		// that refers to itself through is_admin cannot loop. Zun checks it
		// against the caller's own project and user.
		s.admin = 1
		if r := s.e.rules["context_is_admin"]; r != nil {
			self := Target{ProjectID: s.id.ProjectID, UserID: s.id.UserID}
			sub := evalState{e: s.e, id: s.id, t: &self, admin: 1}
			if r.root.eval(&sub) {
				s.admin = 2
			}
		}
	}
	return s.admin == 2
}

func (n *node) eval(s *evalState) bool {
	switch n.op {
	case opTrue:
		return true
	case opFalse:
		return false
	case opAnd:
		for _, k := range n.kids {
			if !k.eval(s) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if k.eval(s) {
				return true
			}
		}
		return false
	case opNot:
		return !n.kids[0].eval(s)
	case opRule:
		return n.ref.target != nil && n.ref.target.eval(s)
	case opRole:
		for _, r := range s.id.Roles {
			if n.match.matches(r, s.t, true) {
				return true
			}
		}
		return false
	case opLiteral:
		return n.match.matches(n.literal, s.t, false)
	case opGeneric:
		return n.evalCred(s)
	}
	return false
}

func (n *node) evalCred(s *evalState) bool {
	var v string
	switch n.cred {
	case credUserID:
		v = s.id.UserID
	case credUserName:
		v = s.id.UserName
	case credProjectID:
		v = s.id.ProjectID
	case credProjectName:
		v = s.id.ProjectName
	case credDomainID:
		v = s.id.DomainID
	case credRoles:
		for _, r := range s.id.Roles {
			if n.match.matches(r, s.t, false) {
				return true
			}
		}
		return false
	case credIsAdmin:
		v = "False"
		if s.isAdmin() {
			v = "True"
		}
	}
	// An empty credential is absent (Python's None never equals a match).
	return v != "" && n.match.matches(v, s.t, false)
}
