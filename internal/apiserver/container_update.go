package apiserver

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/zunctx"
)

func (s *Server) containerUpdate(q *request) (int, any, error) {
	return s.update(q, "container:update")
}

// update is PATCH and resize_container, each under its own rule.
func (s *Server) update(q *request, rule string) (int, any, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return 0, nil, err
	}
	body, err := q.decodeBody(s.cfg.MaxBodyBytes)
	if err != nil {
		return 0, nil, err
	}
	if err := unknownFields(body, map[string]bool{"cpu": true, "memory": true, "name": true, "auto_heal": true}); err != nil {
		return 0, nil, err
	}
	if len(body) == 0 {
		return 0, nil, badRequest("The request body has no field to update.")
	}
	var (
		name     *string
		autoHeal *bool
		cpu      *float64
		mem      *int64
	)
	for k, raw := range body {
		if isNull(raw) {
			return 0, nil, invalid(k, "Value must not be null.")
		}
		switch k {
		case "name":
			v, err := decodeName(raw)
			if err != nil {
				return 0, nil, err
			}
			name = &v
		case "auto_heal":
			v, err := decodeBool(k, raw)
			if err != nil {
				return 0, nil, err
			}
			autoHeal = &v
		case "cpu":
			v, err := decodeCPU(raw)
			if err != nil {
				return 0, nil, err
			}
			cpu = &v
		case "memory":
			v, err := decodeMemory(raw)
			if err != nil {
				return 0, nil, err
			}
			mem = &v
		}
	}
	c, err := s.loadContainer(q, rule)
	if err != nil {
		return 0, nil, err
	}
	resizing := cpu != nil || mem != nil
	if resizing {
		if err := checkStatus("update", c); err != nil {
			return 0, nil, err
		}
	}
	// The record changes first, with the quota check in the same
	// transaction; the host claim and the engine follow, and a failure
	// there puts the record back. So parallel raises never pass the
	// project's limit, even for a moment.
	var orig model.Container
	c, err = s.store.Containers().UpdateInQuota(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error {
		orig = *x
		if resizing {
			if err := checkStatus("update", x); err != nil {
				return err
			}
		}
		if name != nil {
			x.Name = *name
		}
		if autoHeal != nil {
			x.AutoHeal = *autoHeal
		}
		if cpu != nil {
			x.CPU = *cpu
		}
		if mem != nil {
			x.Memory = *mem
		}
		return nil
	})
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("A container with name %s already exists.", *name))
	}
	if err != nil {
		return 0, nil, err
	}
	if resizing {
		if err := s.resize(q, &orig, c.CPU, c.Memory); err != nil {
			s.undoUpdate(q, &orig, c)
			return 0, nil, err
		}
	}
	s.recordAction(q, c, "update")
	_ = s.store.Actions().Finish(zunctx.System(q.ctx), c.UUID, zunctx.RequestID(q.ctx), s.now().UTC(), "")
	return http.StatusOK, s.containerView(q, c, s.fieldAccess(q.ctx, containerTarget(c))), nil
}

// resize claims the new cpu/memory of c on its host (re-checking
// capacity in one transaction) and applies the limits on the engine; the
// claim is undone if the agent fails.
func (s *Server) resize(q *request, c *model.Container, newCPU float64, newMem int64) error {
	if c.Host == "" {
		return nil
	}
	sys := zunctx.System(q.ctx)
	if err := s.store.Hosts().Resize(sys, c.UUID, newCPU, newMem); err != nil {
		if errors.Is(err, errdefs.ErrConflict) {
			return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Host %s does not have enough resources for the update.", c.Host))
		}
		return err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.CPU, req.Memory = newCPU, newMem
	if err := s.call(q, c, rpc.MethodUpdate, req, nil); err != nil {
		if rerr := s.store.Hosts().Resize(sys, c.UUID, c.CPU, c.Memory); rerr != nil {
			s.log.Error("failed to undo resize claim", "uuid", c.UUID, "err", rerr)
		}
		return err
	}
	s.sched.Invalidate()
	return nil
}

// undoUpdate puts back the fields of orig that the failed update set in
// upd, unless another request changed them since. It restores what was
// counted before the update, so it needs no quota check.
func (s *Server) undoUpdate(q *request, orig, upd *model.Container) {
	_, err := s.store.Containers().Update(zunctx.System(q.ctx), orig.UUID, func(x *model.Container) error {
		if x.CPU == upd.CPU && x.Memory == upd.Memory {
			x.CPU, x.Memory = orig.CPU, orig.Memory
		}
		if x.Name == upd.Name {
			x.Name = orig.Name
		}
		if x.AutoHeal == upd.AutoHeal {
			x.AutoHeal = orig.AutoHeal
		}
		return nil
	})
	if err != nil {
		s.log.Error("failed to undo container update", "uuid", orig.UUID, "err", err)
	}
}

// containerRename is POST .../rename (1.1 to 1.13).
func (s *Server) containerRename(q *request) (int, any, error) {
	if err := q.checkQuery("name", "all_projects"); err != nil {
		return 0, nil, err
	}
	n := q.query.Get("name")
	if n == "" {
		return 0, nil, badRequest("'name' is a required property")
	}
	raw := []byte(fmt.Sprintf("%q", n))
	name, err := decodeName(raw)
	if err != nil {
		return 0, nil, err
	}
	c, err := s.loadContainer(q, "container:rename")
	if err != nil {
		return 0, nil, err
	}
	if c.Name == name {
		return 0, nil, errdefs.New(errdefs.ErrConflict, "The new name for the container is the same as the old name.")
	}
	c, err = s.store.Containers().Update(zunctx.System(q.ctx), c.UUID, func(x *model.Container) error { x.Name = name; return nil })
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("A container with name %s already exists.", name))
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.containerView(q, c, s.fieldAccess(q.ctx, containerTarget(c))), nil
}

// containerResize is POST .../resize_container (1.19+): cpu/memory like
// PATCH, answered 202.
func (s *Server) containerResize(q *request) (int, any, error) {
	_, body, err := s.update(q, "container:resize_container")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, body, nil
}
