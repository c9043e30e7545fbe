package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/zunctx"
)

// eval compiles text as a one-off rule of a default enforcer (so rule:
// references to the base rules resolve) and evaluates it.
func eval(t *testing.T, text string, id zunctx.Identity, tg Target) bool {
	t.Helper()
	e := New()
	root, err := parseRule("test", text)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	e.rules["test"] = &compiled{text: text, root: root}
	if errs := e.link(); len(errs) > 0 {
		t.Fatalf("%q: %v", text, errs)
	}
	return e.AllowedFor(&id, "test", &tg)
}

func roles(r ...string) zunctx.Identity {
	return zunctx.Identity{UserID: "u1", ProjectID: "p1", DomainID: "default", Roles: r}
}

func TestEvaluate(t *testing.T) {
	own := Target{ProjectID: "p1", UserID: "u1"}
	other := Target{ProjectID: "p2", UserID: "u2"}
	cases := []struct {
		name, rule string
		id         zunctx.Identity
		target     Target
		want       bool
	}{
		{"empty allows", "", roles(), own, true},
		{"blank allows", "  \t", roles(), own, true},
		{"always", "@", roles(), other, true},
		{"never", "!", roles("admin"), own, false},
		{"role", "role:member", roles("member"), other, true},
		{"role missing", "role:member", roles("reader"), own, false},
		{"role case-insensitive", "role:Admin", roles("admin"), own, true},
		{"or: first", "role:a or role:b and role:c", roles("a"), own, true},
		{"or binds looser than and", "role:a or role:b and role:c", roles("b"), own, false},
		{"and of the right side", "role:a or role:b and role:c", roles("b", "c"), own, true},
		{"and then or", "role:a and role:b or role:c", roles("c"), own, true},
		{"parens override precedence", "(role:a or role:b) and role:c", roles("a"), own, false},
		{"parens override precedence, both", "(role:a or role:b) and role:c", roles("a", "c"), own, true},
		{"not binds tightest", "not role:a and role:b", roles("b"), own, true},
		{"not of a group", "not (role:a or role:b)", roles("b"), own, false},
		{"not not", "not not role:a", roles("a"), own, true},
		{"keywords are case-insensitive", "role:a AND NOT role:b Or role:c", roles("a"), own, true},
		{"nested parens", "((role:a and (role:b or (role:c))))", roles("a", "c"), own, true},
		{"nested parens deny", "((role:a and (role:b or (role:c))))", roles("b", "c"), own, false},
		{"owner", "project_id:%(project_id)s", roles(), own, true},
		{"not owner", "project_id:%(project_id)s", roles(), other, false},
		{"absent target attribute denies", "project_id:%(project_id)s", roles(), Target{}, false},
		{"user", "user_id:%(user_id)s", roles(), own, true},
		{"other user", "user_id:%(user_id)s", roles(), Target{ProjectID: "p1", UserID: "u9"}, false},
		{"generic attribute", "domain_id:%(domain)s", roles(), Target{Attrs: map[string]string{"domain": "default"}}, true},
		{"template with text", "project_id:p%(n)s", roles(), Target{Attrs: map[string]string{"n": "1"}}, true},
		{"template with text, no match", "project_id:p%(n)s", roles(), Target{Attrs: map[string]string{"n": "2"}}, false},
		{"quoted literal match", "domain_id:'default'", roles(), own, true},
		{"plain literal match", "domain_id:default", roles(), own, true},
		{"literal kind", "'member':%(role)s", roles(), Target{Attrs: map[string]string{"role": "member"}}, true},
		{"literal kind, other value", "'member':%(role)s", roles(), Target{Attrs: map[string]string{"role": "admin"}}, false},
		{"True literal kind", "True:%(enabled)s", roles(), Target{Attrs: map[string]string{"enabled": "True"}}, true},
		{"roles credential", "roles:member", roles("reader", "member"), own, true},
		{"is_admin from the admin role", "is_admin:True", roles("admin"), other, true},
		{"is_admin false", "is_admin:True", roles("member"), own, false},
		{"is_admin:False", "is_admin:False", roles("member"), own, true},
		{"admin_or_owner as owner", "rule:admin_or_owner", roles("reader"), own, true},
		{"admin_or_owner as admin", "rule:admin_or_owner", roles("admin"), other, true},
		{"admin_or_owner as stranger", "rule:admin_or_owner", roles("member"), other, false},
		{"deny_everybody", "rule:deny_everybody", roles("admin"), own, false},
		{"empty credential is absent", "project_id:%(project_id)s", zunctx.Identity{Roles: []string{"member"}}, Target{Attrs: map[string]string{"project_id": ""}}, false},
		{"percent escape", "project_id:100%%", zunctx.Identity{ProjectID: "100%"}, own, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := eval(t, tc.rule, tc.id, tc.target); got != tc.want {
				t.Errorf("%q for %v on %+v = %v, want %v", tc.rule, tc.id.Roles, tc.target, got, tc.want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		rule string
		pos  int
		msg  string
	}{
		{"role:a and", 11, "found end of rule"},
		{"role:a or or role:b", 11, `found "or"`},
		{"and role:a", 1, `found "and"`},
		{"(role:a", 8, "expected ')' closing the '(' at position 1"},
		{"role:a)", 7, "unbalanced ')'"},
		{"()", 2, "unexpected ')'"},
		{"role:a role:b", 8, "expected 'and', 'or' or end of rule"},
		{"admin", 1, "not of the form kind:match"},
		{"rule:", 1, "needs both a kind and a match"},
		{":x", 1, "needs both a kind and a match"},
		{"http://example.com", 1, "http checks are not supported"},
		{"projectid:%(project_id)s", 1, `unknown credential "projectid"`},
		{"role:a or project_id:%(project_id", 11, "bad substitution"},
		{"project_id:%s", 1, "bad substitution"},
		{"not", 4, "found end of rule"},
		{"role:a and (role:b or not)", 26, "unexpected ')'"},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			_, err := parseRule("r", tc.rule)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: err %v, want a SyntaxError", tc.rule, err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("%q: %v; want position %d and %q", tc.rule, err, tc.pos, tc.msg)
			}
			if !strings.Contains(err.Error(), `policy rule "r"`) {
				t.Errorf("error does not name the rule: %v", err)
			}
		})
	}
}

func TestTokenizeKeepsSubstitutionParens(t *testing.T) {
	toks := tokenize("((project_id:%(project_id)s))")
	var got []string
	for _, tk := range toks[:len(toks)-1] {
		got = append(got, tk.text)
	}
	if strings.Join(got, " ") != "( ( project_id:%(project_id)s ) )" {
		t.Errorf("tokens %q", got)
	}
}
