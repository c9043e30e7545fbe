package neutronapi

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/network"
)

const maxBody = 256 << 10

func badRequest(format string, args ...any) error {
	return &network.Error{Type: "HTTPBadRequest", Msg: fmt.Sprintf(format, args...), Cat: errdefs.ErrInvalidArgument}
}

func forbidden(rule string) error {
	return &network.Error{Type: "PolicyNotAuthorized", Msg: "(rule:" + rule + ") is disallowed by policy", Cat: errdefs.ErrForbidden}
}

// body is the object of a request ({"network": {...}}): its attributes,
// checked against the allowed ones.
type body map[string]json.RawMessage

// readBody decodes {"<singular>": {...}}; any other key, and attributes
// outside allowed, are 400 as Neutron answers.
func readBody(q *request, singular string, allowed map[string]bool) (body, error) {
	raw, err := io.ReadAll(io.LimitReader(q.r.Body, maxBody+1))
	if err != nil {
		return nil, badRequest("Failed to read the request body.")
	}
	if len(raw) > maxBody {
		return nil, &network.Error{Type: "HTTPRequestEntityTooLarge", Msg: "Request is too large.", Cat: errdefs.ErrTooLarge}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, badRequest("Malformed request body")
	}
	inner, ok := top[singular]
	if !ok || len(top) != 1 {
		return nil, badRequest("Unable to find '%s' in request body", singular)
	}
	var b body
	if err := json.Unmarshal(inner, &b); err != nil || b == nil {
		return nil, badRequest("Invalid input for %s. Reason: not a dictionary.", singular)
	}
	var unknown []string
	for k := range b {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, badRequest("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	return b, nil
}

func keys(list ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range list {
		m[k] = true
	}
	return m
}

func (b body) has(k string) bool { _, ok := b[k]; return ok }

func (b body) isNull(k string) bool { return string(b[k]) == "null" }

func (b body) str(k string, dst *string) error {
	v, ok := b[k]
	if !ok || string(v) == "null" {
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return badRequest("Invalid input for %s. Reason: '%s' is not a valid string.", k, v)
	}
	if len(*dst) > 255 {
		return badRequest("Invalid input for %s. Reason: '%s' exceeds maximum length of 255.", k, *dst)
	}
	return nil
}

func (b body) boolean(k string, dst *bool) error {
	v, ok := b[k]
	if !ok {
		return nil
	}
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return badRequest("Invalid input for %s. Reason: '%s' cannot be converted to boolean.", k, v)
	}
	switch t := x.(type) {
	case bool:
		*dst = t
	case string:
		switch strings.ToLower(t) {
		case "true", "1", "yes", "on":
			*dst = true
		case "false", "0", "no", "off":
			*dst = false
		default:
			return badRequest("Invalid input for %s. Reason: '%s' cannot be converted to boolean.", k, t)
		}
	default:
		return badRequest("Invalid input for %s. Reason: '%s' cannot be converted to boolean.", k, v)
	}
	return nil
}

func (b body) integer(k string, dst *int, lo, hi int) error {
	v, ok := b[k]
	if !ok || string(v) == "null" {
		return nil
	}
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return badRequest("Invalid input for %s. Reason: '%s' is not an integer.", k, v)
	}
	var n int
	switch t := x.(type) {
	case float64:
		if t != float64(int(t)) {
			return badRequest("Invalid input for %s. Reason: '%v' is not an integer.", k, t)
		}
		n = int(t)
	case string:
		if _, err := fmt.Sscanf(t, "%d", &n); err != nil || fmt.Sprint(n) != t {
			return badRequest("Invalid input for %s. Reason: '%s' is not an integer.", k, t)
		}
	default:
		return badRequest("Invalid input for %s. Reason: '%s' is not an integer.", k, v)
	}
	if n < lo || n > hi {
		return badRequest("Invalid input for %s. Reason: '%d' is out of range %d through %d.", k, n, lo, hi)
	}
	*dst = n
	return nil
}

// into decodes attribute k into dst strictly (unknown nested keys: 400).
func (b body) into(k string, dst any) error {
	v, ok := b[k]
	if !ok || string(v) == "null" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("Invalid input for %s. Reason: %s.", k, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// project returns the project a create is for: the caller's, or for an
// admin the project_id/tenant_id given.
func (b body) project(q *request) (string, error) {
	var p, t string
	if err := b.str("project_id", &p); err != nil {
		return "", err
	}
	if err := b.str("tenant_id", &t); err != nil {
		return "", err
	}
	if p != "" && t != "" && p != t {
		return "", badRequest("Both project_id and tenant_id given with different values.")
	}
	if p == "" {
		p = t
	}
	if p == "" || p == q.id.ProjectID {
		return q.id.ProjectID, nil
	}
	if !q.admin {
		return "", badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges")
	}
	return p, nil
}

var common = []string{"name", "description", "project_id", "tenant_id"}

func with(list ...string) map[string]bool { return keys(append(list, common...)...) }

// decodeStrict decodes the whole body into dst, refusing unknown keys.
func decodeStrict(q *request, dst any) error {
	dec := json.NewDecoder(io.LimitReader(q.r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("Invalid input: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}
