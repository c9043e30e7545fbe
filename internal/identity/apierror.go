package identity

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/openzun/zun/internal/errdefs"
)

// apiError is a failure of an admin call the caller may see: msg is sent
// in Keystone's error format, cause carries the errdefs category.
type apiError struct {
	status int
	msg    string
	cause  error
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.cause }

func newAPIError(cat error, msg string) *apiError {
	return &apiError{status: errdefs.HTTPStatus(cat), msg: msg, cause: cat}
}

// invalid is Keystone's ValidationError for one field.
func invalid(field, format string, args ...any) *apiError {
	return newAPIError(errdefs.ErrInvalidArgument,
		fmt.Sprintf("Invalid input for field '%s': %s", field, fmt.Sprintf(format, args...)))
}

func notFound(kind, id string) *apiError {
	return newAPIError(errdefs.ErrNotFound, fmt.Sprintf("Could not find %s: %s.", kind, clip(id)))
}

func duplicate(kind, name, domainID string) *apiError {
	return newAPIError(errdefs.ErrAlreadyExists, fmt.Sprintf(
		"Conflict occurred attempting to store %s - Duplicate entry found with name %s at domain ID %s.",
		kind, clip(name), clip(domainID)))
}

const msgForbidden = "You are not authorized to perform the requested action."

// apiHandler serves an admin call: a nil body answers status without one.
type apiHandler func(r *http.Request, c *claims) (status int, body any, err error)

// policy reports whether a caller without the admin role may make a call.
type policy func(r *http.Request, c *claims) bool

// adminOnly lets no one but admins through.
func adminOnly(*http.Request, *claims) bool { return false }

// selfUser lets users read themselves: the path's {user_id} is the caller.
func selfUser(r *http.Request, c *claims) bool { return r.PathValue("user_id") == c.UserID }

// api wraps h: a valid token, then admin or allow, then Keystone's
// rendering of the result or error.
func (s *Service) api(allow policy, h apiHandler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, c *claims) {
		if !hasRole(c, RoleAdmin) && !allow(r, c) {
			writeError(w, http.StatusForbidden, msgForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAdminBody)
		status, body, err := h(r, c)
		if err != nil {
			s.apiFailed(w, r, err)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}

func (s *Service) apiFailed(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.internal(w, r, err)
		return
	}
	s.log.DebugContext(r.Context(), "identity request refused", "method", r.Method,
		"path", r.URL.Path, "status", ae.status, "reason", ae.msg)
	writeError(w, ae.status, ae.msg)
}
