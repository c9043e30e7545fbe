package policy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

// compiled is one effective rule.
type compiled struct {
	text string
	// source is "" for the registered default, else the file overriding it.
	source string
	root   *node
}

// Enforcer holds the compiled effective rules. It is immutable once built
// and safe for concurrent use.
type Enforcer struct {
	rules map[string]*compiled
}

// New returns an enforcer with Zun's default rules.
func New() *Enforcer {
	e, err := NewWithRules(nil, "")
	if err != nil {
		panic("policy: default rules do not compile: " + err.Error())
	}
	return e
}

// NewWithRules returns an enforcer with Zun's defaults overridden by rules
// (name to rule text), as read from source. Every rule must parse, every
// `rule:` reference must resolve without a cycle, and every name in rules
// must be registered; the error lists every problem.
func NewWithRules(rules map[string]string, source string) (*Enforcer, error) {
	e := &Enforcer{rules: make(map[string]*compiled, len(defaultRules))}
	var errs []error
	for _, d := range defaultRules {
		c := &compiled{text: d.Check}
		if text, ok := rules[d.Name]; ok {
			c.text, c.source = text, source
		}
		root, err := parseRule(d.Name, c.text)
		if err != nil {
			errs = append(errs, err)
			root = &node{op: opFalse}
		}
		c.root = root
		e.rules[d.Name] = c
	}
	for _, name := range sortedKeys(rules) {
		if _, ok := e.rules[name]; !ok {
			msg := fmt.Sprintf("rule %q is not registered", name)
			if s := suggest(name); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, errors.New(msg))
		}
	}
	errs = append(errs, e.link()...)
	if len(errs) > 0 {
		where := "policy"
		if source != "" {
			where = "policy file " + source
		}
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		// One line, so a log shows every problem.
		return nil, fmt.Errorf("%s: %s", where, strings.Join(msgs, "; "))
	}
	return e, nil
}

// link resolves every `rule:` check to its compiled rule and rejects
// references to unknown rules and cycles.
func (e *Enforcer) link() []error {
	var errs []error
	for _, name := range e.Names() {
		walk(e.rules[name].root, func(n *node) {
			if n.op != opRule {
				return
			}
			if r, ok := e.rules[n.ref.name]; ok {
				n.ref.target = r.root
			} else {
				errs = append(errs, fmt.Errorf("rule %q refers to rule:%s, which is not registered", name, n.ref.name))
			}
		})
	}
	// Depth-first search for cycles over rule references.
	state := map[string]int{} // 1 on the path, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("rules refer to each other in a cycle: %s", strings.Join(append(path, name), " -> "))
		case 2:
			return nil
		}
		state[name] = 1
		var err error
		walk(e.rules[name].root, func(n *node) {
			if err == nil && n.op == opRule && n.ref.target != nil {
				err = visit(n.ref.name, append(path, name))
			}
		})
		state[name] = 2
		return err
	}
	for _, name := range e.Names() {
		if err := visit(name, nil); err != nil {
			errs = append(errs, err)
			break
		}
	}
	return errs
}

func walk(n *node, f func(*node)) {
	f(n)
	for _, k := range n.kids {
		walk(k, f)
	}
}

// Registered reports whether name is a registered rule.
func (e *Enforcer) Registered(name string) bool {
	_, ok := e.rules[name]
	return ok
}

// Names lists the registered rules, sorted.
func (e *Enforcer) Names() []string { return sortedKeys(e.rules) }

// Rule returns the effective text of rule name and the file that overrode
// it ("" for the default).
func (e *Enforcer) Rule(name string) (text, source string, ok bool) {
	c, ok := e.rules[name]
	if !ok {
		return "", "", false
	}
	return c.text, c.source, true
}

// Check reports rules the service uses (the rules bound to its routes)
// that are not registered; the service calls it at start-up.
func (e *Enforcer) Check(used ...string) error {
	var missing []string
	for _, n := range used {
		if !e.Registered(n) && !contains(missing, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("policy: rules used by the API are not registered: %s", strings.Join(missing, ", "))
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Allowed evaluates rule for the caller in ctx against t. A caller without
// identity and a rule that is not registered are denied.
func (e *Enforcer) Allowed(ctx context.Context, rule string, t Target) bool {
	id, ok := zunctx.IdentityFrom(ctx)
	if !ok {
		return false
	}
	return e.AllowedFor(&id, rule, &t)
}

// AllowedFor evaluates rule for the caller id against t.
func (e *Enforcer) AllowedFor(id *zunctx.Identity, rule string, t *Target) bool {
	c, ok := e.rules[rule]
	if !ok {
		return false
	}
	s := evalState{e: e, id: id, t: t}
	return c.root.eval(&s)
}

// FieldAllowed is Allowed with oslo's might_not_exist: a rule that is not
// registered allows. Field rules (container:get_one:host) use it, so a
// field without a rule is visible.
func (e *Enforcer) FieldAllowed(ctx context.Context, rule string, t Target) bool {
	if !e.Registered(rule) {
		return true
	}
	return e.Allowed(ctx, rule, t)
}

// Authorize returns an errdefs.ErrForbidden error when rule denies.
func (e *Enforcer) Authorize(ctx context.Context, rule string, t Target) error {
	if e.Allowed(ctx, rule, t) {
		return nil
	}
	if !e.Registered(rule) {
		return fmt.Errorf("policy rule %q is not registered: %w", rule, errdefs.ErrForbidden)
	}
	return errdefs.New(errdefs.ErrForbidden, fmt.Sprintf("Policy doesn't allow %s to be performed.", rule))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest returns the registered name closest to name, if close enough to
// be a typo.
func suggest(name string) string {
	best, bestD := "", len(name)/3+2
	for _, d := range defaultRules {
		if dist := editDistance(name, d.Name); dist < bestD {
			best, bestD = d.Name, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
