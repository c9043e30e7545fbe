package network

import (
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
)

// Error is a failure with Neutron's exception type name (the "type" of
// the NeutronError body), a message for the user and an errdefs category.
type Error struct {
	Type string
	Msg  string
	Cat  error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the errdefs category.
func (e *Error) Unwrap() error { return e.Cat }

func newErr(cat error, typ, format string, args ...any) error {
	return &Error{Type: typ, Msg: fmt.Sprintf(format, args...), Cat: cat}
}

func badRequest(format string, args ...any) error {
	return newErr(errdefs.ErrInvalidArgument, "HTTPBadRequest", format, args...)
}

func notFound(kind, id string) error {
	return newErr(errdefs.ErrNotFound, kindType(kind)+"NotFound", "%s %s could not be found.", kindTitle(kind), id)
}

func inUse(typ, format string, args ...any) error {
	return newErr(errdefs.ErrConflict, typ, format, args...)
}

func kindType(kind string) string {
	switch kind {
	case "network":
		return "Network"
	case "subnet":
		return "Subnet"
	case "port":
		return "Port"
	case "security_group":
		return "SecurityGroup"
	case "security_group_rule":
		return "SecurityGroupRule"
	case "router":
		return "Router"
	case "floatingip":
		return "FloatingIP"
	}
	return "Resource"
}

func kindTitle(kind string) string {
	switch kind {
	case "security_group":
		return "Security group"
	case "security_group_rule":
		return "Security group rule"
	case "floatingip":
		return "Floating IP"
	}
	t := kindType(kind)
	return t
}
