//go:build !linux

package docker

import (
	"errors"

	"github.com/openzun/zun/internal/errdefs"
)

var errNotLinux = errors.Join(errors.New("engine data root inspection needs linux"), errdefs.ErrNotImplemented)

func diskTotal(string) (int64, error)     { return 0, errNotLinux }
func mountOptions(string) (string, error) { return "", errNotLinux }
