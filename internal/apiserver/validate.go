package apiserver

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Field validation shared by create and update. Messages name the field,
// as Zun's JSON-schema errors do.

var (
	nameRe     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)
	hostnameRe = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
	memoryRe   = regexp.MustCompile(`^([0-9]+)([mMgG]?)$`)
)

// Bounds of Zun's defaults ([DEFAULT] minimum/maximum_*).
const (
	minCPU, maxCPU       = 0.1, 16.0
	minMemory, maxMemory = 4, 8192
	minDisk, maxDisk     = 1, 160
	maxMapEntries        = 128
	maxMapValue          = 4096
	maxCommandArgs       = 256
	maxArg               = 16384
)

func invalid(field, format string, a ...any) error {
	return badRequest("Invalid input for field/attribute %s. %s", field, fmt.Sprintf(format, a...))
}

// unknownFields refuses keys outside allowed (additionalProperties: false).
func unknownFields(m map[string]json.RawMessage, allowed map[string]bool) error {
	var extra []string
	for k := range m {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return badRequest("Additional properties are not allowed (%s was unexpected)", "'"+strings.Join(extra, "', '")+"'")
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func decodeString(field string, raw json.RawMessage, minLen, maxLen int) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(field, "Value: %s. Expected a string.", truncate(raw))
	}
	if len(s) < minLen || len(s) > maxLen {
		return "", invalid(field, "Value: %q. Length must be between %d and %d.", truncate([]byte(s)), minLen, maxLen)
	}
	if strings.ContainsRune(s, 0) {
		return "", invalid(field, "Value contains a NUL character.")
	}
	return s, nil
}

func decodeName(raw json.RawMessage) (string, error) {
	s, err := decodeString("name", raw, 2, 255)
	if err != nil {
		return "", err
	}
	if !nameRe.MatchString(s) {
		return "", invalid("name", "Value: %q. Must match %s.", s, nameRe.String())
	}
	return s, nil
}

func decodeBool(field string, raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return parseBool(field, s)
	}
	return false, invalid(field, "Value: %s. Expected a boolean.", truncate(raw))
}

// decodeNumber accepts a JSON number or a numeric string.
func decodeNumber(field string, raw json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, invalid(field, "Value is not a finite number.")
		}
		return f, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, nil
		}
	}
	return 0, invalid(field, "Value: %s. Expected a number.", truncate(raw))
}

func decodeCPU(raw json.RawMessage) (float64, error) {
	f, err := decodeNumber("cpu", raw)
	if err != nil {
		return 0, err
	}
	if f < minCPU || f > maxCPU {
		return 0, invalid("cpu", "Value: %v. The cpu must be between %v and %v.", f, minCPU, maxCPU)
	}
	return f, nil
}

// decodeMemory accepts 512, "512", "512M" or "1G" and returns MiB.
func decodeMemory(raw json.RawMessage) (int64, error) {
	var n json.Number
	s := ""
	if err := json.Unmarshal(raw, &n); err == nil {
		s = n.String()
	} else if err := json.Unmarshal(raw, &s); err != nil {
		return 0, invalid("memory", "Value: %s. Expected an integer or a string like 512M.", truncate(raw))
	}
	m := memoryRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, invalid("memory", "Value: %q. Expected an integer or a string like 512M.", s)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || v > 1<<40 {
		return 0, invalid("memory", "Value: %q is out of range.", s)
	}
	if strings.EqualFold(m[2], "g") {
		v *= 1024
	}
	if v < minMemory || v > maxMemory {
		return 0, invalid("memory", "Value: %q. The memory must be between %d and %d MiB.", s, minMemory, maxMemory)
	}
	return v, nil
}

func decodeInt(field string, raw json.RawMessage, min, max int) (int, error) {
	f, err := decodeNumber(field, raw)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < float64(min) || f > float64(max) {
		return 0, invalid(field, "Value: %v. Expected an integer between %d and %d.", f, min, max)
	}
	return int(f), nil
}

func decodeStringMap(field string, raw json.RawMessage) (map[string]string, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalid(field, "Value: %s. Expected an object of strings.", truncate(raw))
	}
	if len(m) > maxMapEntries {
		return nil, invalid(field, "At most %d entries are allowed.", maxMapEntries)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, invalid(field, "Value of %q must be a string.", k)
		}
		if k == "" || len(k) > 255 || len(s) > maxMapValue || strings.ContainsRune(k+s, 0) {
			return nil, invalid(field, "Key %q or its value is empty, too long or contains NUL.", truncate([]byte(k)))
		}
		out[k] = s
	}
	return out, nil
}

func decodeStringList(field string, raw json.RawMessage) ([]string, error) {
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, invalid(field, "Value: %s. Expected a list of strings.", truncate(raw))
	}
	if len(l) > maxCommandArgs {
		return nil, invalid(field, "At most %d items are allowed.", maxCommandArgs)
	}
	for _, s := range l {
		if len(s) > maxArg || strings.ContainsRune(s, 0) {
			return nil, invalid(field, "An item is too long or contains NUL.")
		}
	}
	return l, nil
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

// shellSplit splits a command string as Python's shlex.split does for the
// common cases (quotes and backslash escapes).
func shellSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord, quote, escape := false, rune(0), false
	for _, r := range s {
		switch {
		case escape:
			cur.WriteRune(r)
			escape = false
		case r == '\\' && quote != '\'':
			escape, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escape {
		return nil, fmt.Errorf("unterminated quote or escape")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
