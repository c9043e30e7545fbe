package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

// request is what a handler sees.
type request struct {
	ctx     context.Context
	r       *http.Request
	w       http.ResponseWriter
	version api.Version
	id      zunctx.Identity
	query   url.Values
	// used records the query parameters a handler read, so unknown ones
	// are refused.
	allowed map[string]bool
}

type handlerFunc func(*request) (status int, body any, err error)

var errNotFoundPath = errdefs.New(errdefs.ErrNotFound, "The resource could not be found.")

func badRequest(format string, a ...any) error {
	return errdefs.New(errdefs.ErrInvalidArgument, fmt.Sprintf(format, a...))
}

// pathValue returns a path parameter.
func (q *request) pathValue(name string) string { return q.r.PathValue(name) }

// checkQuery refuses query parameters outside names.
func (q *request) checkQuery(names ...string) error {
	allowed := make(map[string]bool, len(names))
	for _, n := range names {
		allowed[n] = true
	}
	for k := range q.query {
		if !allowed[k] {
			return badRequest("Unknown parameter in query: %s", k)
		}
	}
	return nil
}

// boolParam parses an extended boolean (Zun's boolean_extended).
func (q *request) boolParam(name string) (bool, error) {
	v := q.query.Get(name)
	if v == "" {
		return false, nil
	}
	return parseBool(name, v)
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "t", "true", "on", "y", "yes":
		return true, nil
	case "0", "f", "false", "off", "n", "no":
		return false, nil
	}
	return false, badRequest("Invalid input for field/attribute %s. Value: %s. Expected a boolean.", name, v)
}

func (q *request) intParam(name string, min, max int) (int, bool, error) {
	v := q.query.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, false, badRequest("Invalid input for field/attribute %s. Value: %s. Expected an integer between %d and %d.", name, v, min, max)
	}
	return n, true, nil
}

// decodeBody reads a JSON object body into a map of raw fields, bounded in
// size; duplicate keys are refused.
func (q *request) decodeBody(limit int64) (map[string]json.RawMessage, error) {
	ct := q.r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return nil, errdefs.New(errdefs.ErrUnsupportedMedia, "The request content type must be application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("Request body is larger than %d bytes.", limit))
		}
		return nil, badRequest("failed to read request body")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if err := checkDuplicateKeys(body); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, badRequest("The request body must be a JSON object.")
	}
	return m, nil
}

// checkDuplicateKeys refuses objects with a repeated key anywhere and
// nesting deeper than 32 levels.
func checkDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next string token is a key
	}
	var stack []*frame
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badRequest("Malformed JSON in request body.")
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := t.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if len(stack) >= 32 {
					return badRequest("JSON nesting is too deep.")
				}
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: v == '{', keys: map[string]bool{}, key: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.obj && top.key {
				if top.keys[v] {
					return badRequest("Duplicate key in JSON object: %s", v)
				}
				top.keys[v] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.obj {
			top.key = true
		}
	}
}
