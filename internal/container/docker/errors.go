package docker

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/errdefs"
)

// engineError is an engine error tagged with its errdefs category. Its
// text is the engine's; errors.Is matches both the category and the
// engine's own error chain.
type engineError struct {
	cat error
	err error
}

func (e *engineError) Error() string   { return e.err.Error() }
func (e *engineError) Unwrap() []error { return []error{e.cat, e.err} }

// translate is the one place Docker errors become errdefs categories:
// "failed to <op>: <engine text>". Uncategorised errors stay internal.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if cat := category(err); cat != nil {
		err = &engineError{cat: cat, err: err}
	}
	return fmt.Errorf("failed to %s: %w", op, err)
}

func category(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return nil // the caller went away; keep context.Canceled visible
	case errors.Is(err, context.DeadlineExceeded), cerrdefs.IsDeadlineExceeded(err):
		return errdefs.ErrTimeout
	case client.IsErrConnectionFailed(err), cerrdefs.IsUnavailable(err):
		return errdefs.ErrUnavailable
	case cerrdefs.IsNotFound(err):
		return errdefs.ErrNotFound
	case cerrdefs.IsAlreadyExists(err):
		return errdefs.ErrAlreadyExists
	case cerrdefs.IsConflict(err), cerrdefs.IsFailedPrecondition(err):
		// Docker answers 409 to operations invalid in the current state.
		return errdefs.ErrConflict
	case cerrdefs.IsInvalidArgument(err), cerrdefs.IsOutOfRange(err):
		return errdefs.ErrInvalidArgument
	case cerrdefs.IsUnauthorized(err), cerrdefs.IsPermissionDenied(err):
		// Registry or daemon authorization, never the Zun caller's own
		// credentials: forbidden rather than 401.
		return errdefs.ErrForbidden
	case cerrdefs.IsNotImplemented(err):
		return errdefs.ErrNotImplemented
	case cerrdefs.IsResourceExhausted(err):
		return errdefs.ErrTooManyRequests
	}
	return nil
}
