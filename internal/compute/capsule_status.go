package compute

import (
	"fmt"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

// observed is what the engine shows of one container of a capsule.
type observed struct {
	state   container.State
	present bool
}

// capsuleStatus summarises a started capsule from its sandbox and its app
// containers (init containers have completed by then):
//
//	sandbox missing or not running                     → Error
//	an app container missing                           → Error
//	an app container Dead, Error or Unknown            → Error
//	an app container exited with a non-zero code       → Error (Docker will not restart it)
//	an app container Created (never started)           → Created
//	every app container exited with code 0             → Stopped
//	otherwise (Running, Restarting or Paused, possibly
//	beside containers that completed with code 0)      → Running
//
// The reason names the first container that decided an Error.
func capsuleStatus(c *model.Capsule, sandbox observed, apps map[string]observed) (status, reason string) {
	switch {
	case !sandbox.present:
		return api.StatusError, "sandbox container is missing"
	case sandbox.state.Status != api.StatusRunning:
		return api.StatusError, fmt.Sprintf("sandbox container is %s", sandbox.state.Status)
	}
	exited, created := 0, 0
	for i := range c.Containers {
		m := &c.Containers[i]
		o := apps[m.UUID]
		switch {
		case !o.present:
			return api.StatusError, fmt.Sprintf("container %s is missing", m.Name)
		case o.state.Status == api.StatusDead || o.state.Status == api.StatusError || o.state.Status == api.StatusUnknown:
			return api.StatusError, fmt.Sprintf("container %s is %s", m.Name, o.state.Status)
		case o.state.Status == api.StatusStopped && o.state.ExitCode != 0:
			return api.StatusError, fmt.Sprintf("container %s exited with code %d", m.Name, o.state.ExitCode)
		case o.state.Status == api.StatusStopped:
			exited++
		case o.state.Status == api.StatusCreated:
			created++
		}
	}
	switch {
	case created > 0:
		return api.StatusCreated, ""
	case exited == len(c.Containers):
		return api.StatusStopped, ""
	}
	return api.StatusRunning, ""
}
