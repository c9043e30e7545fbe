// Package errdefs is the one error taxonomy of the project. Domain code wraps
// these sentinels with context (fmt.Errorf("container %q: %w", id,
// errdefs.ErrNotFound)); the HTTP edge (HTTPStatus) and the bus edge
// (ToWire/FromWire) are the only places that convert them.
package errdefs

import (
	"errors"
	"net/http"
)

// Categories. Each is a distinct sentinel; errors.Is works through wrapping
// and across the bus.
var (
	ErrInvalidArgument    = errors.New("invalid argument")
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrConflict           = errors.New("conflict")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrForbidden          = errors.New("forbidden")
	ErrUnauthorized       = errors.New("unauthorized")
	ErrQuotaExceeded      = errors.New("quota exceeded")
	ErrNotAcceptable      = errors.New("not acceptable")
	ErrTooLarge           = errors.New("request too large")
	ErrUnavailable        = errors.New("unavailable")
	ErrTimeout            = errors.New("timeout")
	ErrNotImplemented     = errors.New("not supported")
	ErrTooManyRequests    = errors.New("too many requests")
	ErrUnsupportedMedia   = errors.New("unsupported media type")
	ErrInternal           = errors.New("internal error")
)

type category struct {
	err    error
	code   string
	status int
}

// categories in match order: the first that errors.Is finds wins.
var categories = []category{
	{ErrInvalidArgument, "invalid-argument", http.StatusBadRequest},
	{ErrNotFound, "not-found", http.StatusNotFound},
	{ErrAlreadyExists, "already-exists", http.StatusConflict},
	{ErrConflict, "conflict", http.StatusConflict},
	{ErrFailedPrecondition, "failed-precondition", http.StatusConflict},
	{ErrForbidden, "forbidden", http.StatusForbidden},
	{ErrUnauthorized, "unauthorized", http.StatusUnauthorized},
	{ErrQuotaExceeded, "over-quota", http.StatusForbidden},
	{ErrNotAcceptable, "not-acceptable", http.StatusNotAcceptable},
	{ErrTooLarge, "too-large", http.StatusRequestEntityTooLarge},
	{ErrUnavailable, "unavailable", http.StatusServiceUnavailable},
	{ErrTimeout, "timeout", http.StatusConflict},
	{ErrNotImplemented, "not-supported", http.StatusNotImplemented},
	{ErrTooManyRequests, "too-many-requests", http.StatusTooManyRequests},
	{ErrUnsupportedMedia, "unsupported-media-type", http.StatusUnsupportedMediaType},
	{ErrInternal, "internal", http.StatusInternalServerError},
}

func find(err error) (category, bool) {
	for _, c := range categories {
		if errors.Is(err, c.err) {
			return c, true
		}
	}
	return category{}, false
}

// HTTPStatus maps an error to its HTTP status; uncategorised errors are 500.
func HTTPStatus(err error) int {
	if c, ok := find(err); ok {
		return c.status
	}
	return http.StatusInternalServerError
}

// Code returns the category code of err ("not-found"), or "internal".
func Code(err error) string {
	if c, ok := find(err); ok {
		return c.code
	}
	return "internal"
}

// Wire is the serialised form of an error on the bus.
type Wire struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ToWire serialises err keeping its category.
func ToWire(err error) *Wire {
	if err == nil {
		return nil
	}
	return &Wire{Code: Code(err), Message: err.Error()}
}

// wireError carries a message across the bus and unwraps to its category.
type wireError struct {
	msg string
	cat error
}

func (e *wireError) Error() string { return e.msg }
func (e *wireError) Unwrap() error { return e.cat }

// FromWire rebuilds an error whose category matches the sender's with
// errors.Is.
func FromWire(w *Wire) error {
	if w == nil {
		return nil
	}
	for _, c := range categories {
		if c.code == w.Code {
			return &wireError{msg: w.Message, cat: c.err}
		}
	}
	return &wireError{msg: w.Message, cat: ErrInternal}
}

// userError carries a message safe to show to the caller.
type userError struct {
	msg string
	cat error
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.cat }

// New returns an error of category cat whose whole text is msg, without the
// category's own words appended, for messages shown to users as they are.
func New(cat error, msg string) error { return &userError{msg: msg, cat: cat} }
