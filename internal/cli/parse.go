package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
)

// keyValues turns repeated KEY=VALUE flags into a map. A single flag may
// hold several pairs separated by "," or ";" (python-zunclient's
// format_args); later keys win.
func keyValues(flag string, args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	if len(args) == 1 {
		args = strings.Split(strings.ReplaceAll(args[0], ";", ","), ",")
	}
	m := make(map[string]string, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("%s: arguments must be a list of KEY=VALUE not %q", flag, a)
		}
		m[k] = v
	}
	return m, nil
}

// restartPolicy parses "no", "always", "unless-stopped" or
// "on-failure[:max-retry]".
func restartPolicy(s string) (*api.CreateRestart, error) {
	name, count, hasCount := strings.Cut(s, ":")
	p := &api.CreateRestart{Name: name}
	switch name {
	case "no", "always", "unless-stopped", "on-failure":
	default:
		return nil, usagef("invalid --restart %q: use no, on-failure[:max-retry], always or unless-stopped", s)
	}
	if hasCount {
		n, err := strconv.Atoi(count)
		if err != nil || n < 0 {
			return nil, usagef("invalid --restart %q: max-retry must be a non-negative integer", s)
		}
		if n > 0 && name != "on-failure" {
			return nil, usagef("invalid --restart %q: max-retry is only valid with on-failure", s)
		}
		p.MaximumRetryCount = n
	}
	return p, nil
}

var durationRe = regexp.MustCompile(`^(\d+)([smh]?)$`)

// healthcheck parses "cmd=<cmd>,interval=<n[s|m|h]>,retries=<n>,timeout=<n[s|m|h]>".
func healthcheck(s string) (*api.CreateHealthcheck, error) {
	bad := func() error {
		return usagef("invalid --healthcheck %q: use cmd=command,interval=time,retries=integer,timeout=time "+
			"with times in s(seconds), m(minutes) or h(hours)", s)
	}
	hc := &api.CreateHealthcheck{}
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || seen[k] {
			return nil, bad()
		}
		seen[k] = true
		switch k {
		case "cmd":
			hc.Cmd = v
		case "retries":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, bad()
			}
			hc.Retries = n
		case "interval", "timeout":
			m := durationRe.FindStringSubmatch(v)
			if m == nil {
				return nil, bad()
			}
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return nil, bad()
			}
			n *= map[string]int{"": 1, "s": 1, "m": 60, "h": 3600}[m[2]]
			if k == "interval" {
				hc.Interval = n
			} else {
				hc.Timeout = n
			}
		default:
			return nil, bad()
		}
	}
	return hc, nil
}

// shellSplit splits s like Python's shlex.split (POSIX mode): whitespace
// separates words, quotes group, backslash escapes outside single quotes.
func shellSplit(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, r := range s {
		switch {
		case escaped:
			// Inside double quotes a backslash only escapes \ and ".
			if quote == '"' && r != '\\' && r != '"' {
				cur.WriteRune('\\')
			}
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if escaped {
		return nil, errors.New("no escaped character")
	}
	if quote != 0 {
		return nil, fmt.Errorf("no closing quotation")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
