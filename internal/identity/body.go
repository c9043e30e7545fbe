package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openzun/zun/internal/errdefs"
)

const maxAdminBody = 64 << 10

// object is a decoded JSON object whose members are checked one by one,
// like Keystone's JSON schemas: required members and types are enforced,
// unknown members are ignored.
type object struct {
	path    string // for messages, e.g. "project"
	members map[string]json.RawMessage
}

// decodeBody reads {"<key>": {...}} from r.
func decodeBody(r *http.Request, key string) (*object, error) {
	raw, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, newAPIError(errdefs.ErrInvalidArgument, "Expecting a JSON object as the request body.")
	}
	root := &object{members: top}
	o, err := root.object(key, true)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// readBody reads the body, which api bounds to maxAdminBody.
func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newAPIError(errdefs.ErrTooLarge, "Request Entity Too Large: the request body is too large.")
		}
		return nil, newAPIError(errdefs.ErrInvalidArgument, "The request body could not be read.")
	}
	return buf.Bytes(), nil
}

func (o *object) field(name string) string {
	if o.path == "" {
		return name
	}
	return o.path + "." + name
}

// get returns the raw member; absent and null are both "not present".
func (o *object) get(name string) (json.RawMessage, bool) {
	v, ok := o.members[name]
	if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil, false
	}
	return v, true
}

// has reports whether the member name is present and not null.
func (o *object) has(name string) bool {
	_, ok := o.get(name)
	return ok
}

func (o *object) isNull(name string) bool {
	v, ok := o.members[name]
	return ok && bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// object returns the nested object name.
func (o *object) object(name string, required bool) (*object, error) {
	v, ok := o.get(name)
	if !ok {
		if required {
			return nil, invalid(o.field(name), "'%s' is a required property.", name)
		}
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, invalid(o.field(name), "must be an object.")
	}
	return &object{path: o.field(name), members: m}, nil
}

// str returns the string member name; null is allowed only when nullable.
func (o *object) str(name string, required, nullable bool) (string, bool, error) {
	if o.isNull(name) && !nullable {
		return "", false, invalid(o.field(name), "None is not of type 'string'.")
	}
	v, ok := o.get(name)
	if !ok {
		if required {
			return "", false, invalid(o.field(name), "'%s' is a required property.", name)
		}
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, invalid(o.field(name), "must be a string.")
	}
	return s, true, nil
}

// boolean returns the boolean member name, or def when absent.
func (o *object) boolean(name string, def bool) (bool, error) {
	if o.isNull(name) {
		return false, invalid(o.field(name), "None is not of type 'boolean'.")
	}
	v, ok := o.get(name)
	if !ok {
		return def, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, invalid(o.field(name), "must be a boolean.")
	}
	return b, nil
}

// emptyOrAbsent checks that the member name, which this service cannot
// store, is absent, null or an empty array, object or string: a value
// would otherwise be lost silently.
func (o *object) emptyOrAbsent(name, why string) error {
	v, ok := o.get(name)
	if !ok {
		return nil
	}
	switch strings.TrimSpace(string(v)) {
	case "[]", "{}", `""`:
		return nil
	}
	return invalid(o.field(name), "%s", why)
}

// name checks a resource name: a non-blank string of at most maxLen
// characters without control characters.
func (o *object) name(maxLen int) (string, error) {
	n, _, err := o.str("name", true, false)
	if err != nil {
		return "", err
	}
	field := o.field("name")
	switch {
	case strings.TrimSpace(n) == "":
		return "", invalid(field, "must not be empty or blank.")
	case utf8.RuneCountInString(n) > maxLen:
		return "", invalid(field, "must be at most %d characters long.", maxLen)
	case strings.IndexFunc(n, unicode.IsControl) >= 0:
		return "", invalid(field, "must not contain control characters.")
	}
	return n, nil
}

// domainID returns an optional domain id member (default: the default
// domain); the domain must exist.
func (s *Service) domainIDMember(ctx context.Context, o *object, name string) (string, error) {
	d, ok, err := o.str(name, false, true)
	if err != nil {
		return "", err
	}
	if !ok || d == "" {
		return DefaultDomainID, nil
	}
	if _, err := s.domainByID(ctx, d); err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return "", newAPIError(errdefs.ErrInvalidArgument, "Could not find domain: "+clip(d)+".")
		}
		return "", err
	}
	return d, nil
}
