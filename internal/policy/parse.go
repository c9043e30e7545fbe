package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// SyntaxError is a rule that does not parse. Pos is the 1-based byte
// column of the offending token in Text.
type SyntaxError struct {
	Rule string // rule name, when known
	Text string
	Pos  int
	Msg  string
}

func (e *SyntaxError) Error() string {
	name := ""
	if e.Rule != "" {
		name = fmt.Sprintf(" %q", e.Rule)
	}
	return fmt.Sprintf("policy rule%s: %s at position %d of %q", name, e.Msg, e.Pos, e.Text)
}

type tokKind int

const (
	tokLParen tokKind = iota
	tokRParen
	tokAnd
	tokOr
	tokNot
	tokCheck
	tokEOF
)

type token struct {
	kind tokKind
	text string
	pos  int // 1-based
}

func (t token) describe() string {
	if t.kind == tokEOF {
		return "end of rule"
	}
	return strconv.Quote(t.text)
}

// tokenize splits a rule as oslo.policy does: words separated by white
// space, with leading '(' and trailing ')' of each word as tokens of their
// own (so `%(project_id)s` keeps its parentheses).
func tokenize(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		if isSpace(s[i]) {
			i++
			continue
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		word, pos := s[start:i], start+1
		for len(word) > 0 && word[0] == '(' {
			out = append(out, token{tokLParen, "(", pos})
			word, pos = word[1:], pos+1
		}
		trail := 0
		for trail < len(word) && word[len(word)-1-trail] == ')' {
			trail++
		}
		core := word[:len(word)-trail]
		if core != "" {
			k := tokCheck
			switch strings.ToLower(core) {
			case "and":
				k = tokAnd
			case "or":
				k = tokOr
			case "not":
				k = tokNot
			}
			out = append(out, token{k, core, pos})
		}
		for j := 0; j < trail; j++ {
			out = append(out, token{tokRParen, ")", pos + len(core) + j})
		}
	}
	return append(out, token{tokEOF, "", len(s) + 1})
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// parser is a recursive-descent parser with oslo.policy's precedence:
// `not` binds tighter than `and`, which binds tighter than `or`.
type parser struct {
	name, text string
	toks       []token
	i          int
}

// parseRule compiles the text of rule name. An empty rule always allows.
func parseRule(name, text string) (*node, error) {
	p := &parser{name: name, text: text, toks: tokenize(text)}
	if p.peek().kind == tokEOF {
		return &node{op: opTrue}, nil
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokRParen {
			return nil, p.errAt(t, "unbalanced ')'")
		}
		return nil, p.errAt(t, "expected 'and', 'or' or end of rule, found "+t.describe())
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) errAt(t token, msg string) error {
	return &SyntaxError{Rule: p.name, Text: p.text, Pos: t.pos, Msg: msg}
}

func (p *parser) or() (*node, error) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokOr {
		return n, nil
	}
	kids := []*node{n}
	for p.peek().kind == tokOr {
		p.next()
		m, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, m)
	}
	return &node{op: opOr, kids: kids}, nil
}

func (p *parser) and() (*node, error) {
	n, err := p.not()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokAnd {
		return n, nil
	}
	kids := []*node{n}
	for p.peek().kind == tokAnd {
		p.next()
		m, err := p.not()
		if err != nil {
			return nil, err
		}
		kids = append(kids, m)
	}
	return &node{op: opAnd, kids: kids}, nil
}

func (p *parser) not() (*node, error) {
	if p.peek().kind != tokNot {
		return p.atom()
	}
	p.next()
	n, err := p.not()
	if err != nil {
		return nil, err
	}
	return &node{op: opNot, kids: []*node{n}}, nil
}

func (p *parser) atom() (*node, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, p.errAt(c, fmt.Sprintf("expected ')' closing the '(' at position %d, found %s", t.pos, c.describe()))
		}
		return n, nil
	case tokCheck:
		n, err := parseCheck(t.text)
		if err != nil {
			return nil, p.errAt(t, err.Error())
		}
		return n, nil
	case tokRParen:
		return nil, p.errAt(t, "unexpected ')'")
	default:
		return nil, p.errAt(t, "expected a check, 'not' or '(', found "+t.describe())
	}
}

// parseCheck compiles one `kind:match` check, `@` or `!`.
func parseCheck(s string) (*node, error) {
	switch s {
	case "@":
		return &node{op: opTrue}, nil
	case "!":
		return &node{op: opFalse}, nil
	}
	kind, match, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("check %q is not of the form kind:match, '@' or '!'", s)
	}
	if kind == "" || match == "" {
		return nil, fmt.Errorf("check %q needs both a kind and a match", s)
	}
	switch kind {
	case "rule":
		return &node{op: opRule, ref: &ruleRef{name: match}}, nil
	case "role":
		tpl, err := parseTemplate(match)
		if err != nil {
			return nil, err
		}
		return &node{op: opRole, match: tpl}, nil
	case "http", "https":
		return nil, fmt.Errorf("%s checks are not supported", kind)
	}
	tpl, err := parseTemplate(unquote(match))
	if err != nil {
		return nil, err
	}
	// A literal on the left compares with the (substituted) match, as in
	// oslo's `'member':%(role.name)s`.
	if lit, ok := literal(kind); ok {
		return &node{op: opLiteral, literal: lit, match: tpl}, nil
	}
	cred, ok := credKeys[kind]
	if !ok {
		return nil, fmt.Errorf("unknown credential %q in check %q (known: %s)", kind, s, credKeyList())
	}
	return &node{op: opGeneric, cred: cred, match: tpl}, nil
}

// literal interprets kind as a Python literal: a quoted string, True,
// False, None or a number, printed as Python's str() would.
func literal(kind string) (string, bool) {
	if len(kind) >= 2 && (kind[0] == '\'' || kind[0] == '"') && kind[len(kind)-1] == kind[0] {
		return kind[1 : len(kind)-1], true
	}
	switch kind {
	case "True", "False", "None":
		return kind, true
	}
	if _, err := strconv.ParseInt(kind, 10, 64); err == nil {
		return kind, true
	}
	return "", false
}

// unquote strips matching quotes from a literal match (`attr:'value'`).
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
