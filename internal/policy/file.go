package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
)

// Load returns an enforcer with Zun's defaults overridden by the YAML or
// JSON policy file at path; an empty path means the defaults alone. Any
// problem of the file (syntax, a rule that does not parse, an unresolved
// `rule:` reference, a rule name that is not registered) is an error that
// names the file and the rule.
func Load(path string) (*Enforcer, error) {
	if path == "" {
		return New(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read policy file: %w", err)
	}
	return Parse(b, path)
}

// Parse is Load of the file contents data, named source in errors.
func Parse(data []byte, source string) (*Enforcer, error) {
	var raw map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("policy file %s: %s", source, yaml.FormatError(err, false, true))
		}
	}
	rules := make(map[string]string, len(raw))
	for _, name := range sortedKeys(raw) {
		text, err := ruleText(raw[name])
		if err != nil {
			return nil, fmt.Errorf("policy file %s: rule %q: %w", source, name, err)
		}
		rules[name] = text
	}
	return NewWithRules(rules, source)
}

// ruleText turns a file value into rule text: a string as is, or the legacy
// list-of-lists form ([["a", "b"], ["c"]] means "(a and b) or (c)").
func ruleText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []any:
		if len(v) == 0 {
			return "@", nil
		}
		var ors []string
		for _, inner := range v {
			var ands []string
			switch inner := inner.(type) {
			case string:
				ands = []string{inner}
			case []any:
				for _, c := range inner {
					s, ok := c.(string)
					if !ok || s == "" || strings.ContainsAny(s, " \t\n") || s[0] == '(' || s[len(s)-1] == ')' {
						return "", fmt.Errorf("legacy list form: %v is not a single check", c)
					}
					ands = append(ands, s)
				}
			default:
				return "", fmt.Errorf("legacy list form: %v is not a list of checks", inner)
			}
			if len(ands) > 0 {
				ors = append(ors, "("+strings.Join(ands, " and ")+")")
			}
		}
		if len(ors) == 0 {
			return "!", nil
		}
		return strings.Join(ors, " or "), nil
	default:
		return "", fmt.Errorf("the value must be a rule string, not %T", v)
	}
}

// WriteYAML writes the effective rules as a policy file, each with its
// description and operations as comments, like oslopolicy-sample-generator;
// the output loads back unchanged.
func (e *Enforcer) WriteYAML(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Effective policy of zun-api: Zun's defaults and the operator's overrides.\n")
	for _, d := range defaultRules {
		c := e.rules[d.Name]
		b.WriteString("\n# " + d.Description + "\n")
		for _, o := range d.Operations {
			b.WriteString("# " + o + "\n")
		}
		if c.source != "" {
			b.WriteString("# Overridden by " + c.source + "; default: " + quote(d.Check) + "\n")
		}
		b.WriteString(quote(d.Name) + ": " + quote(c.text) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quote writes s as a YAML double-quoted scalar (JSON string syntax is a
// subset of it).
func quote(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}
