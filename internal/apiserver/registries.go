package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

func (s *Server) registryView(q *request, r *model.Registry) api.Registry {
	b := s.base(q)
	return api.Registry{UUID: r.UUID, Links: []api.Link{{Href: b + "/v1/registries/" + r.UUID, Rel: "self"},
		{Href: b + "/registries/" + r.UUID, Rel: "bookmark"}},
		UserID: r.UserID, ProjectID: r.ProjectID, Name: r.Name, Domain: r.Domain, Username: r.Username,
		Password: api.RegistryPasswordMask}
}

func (s *Server) needSecrets() error {
	if s.secrets == nil {
		return errdefs.New(errdefs.ErrNotImplemented, "Registries need the secret key of the API, which this deployment does not configure.")
	}
	return nil
}

// registryBody parses {"registry": {name, domain, username, password}}.
func (q *request) registryBody(limit int64, create bool) (*api.RegistryFields, error) {
	m, err := q.decodeBody(limit)
	if err != nil {
		return nil, err
	}
	if err := unknownFields(m, map[string]bool{"registry": true}); err != nil {
		return nil, err
	}
	raw, ok := m["registry"]
	if !ok {
		return nil, badRequest("'registry' is a required property")
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return nil, invalid("registry", "Expected an object.")
	}
	if err := unknownFields(fields, map[string]bool{"name": true, "domain": true, "username": true, "password": true}); err != nil {
		return nil, err
	}
	out := &api.RegistryFields{}
	for k, v := range fields {
		if isNull(v) {
			continue
		}
		minLen := 0
		if k == "domain" || k == "name" {
			minLen = 1
		}
		str, err := decodeString(k, v, minLen, 255)
		if err != nil {
			return nil, err
		}
		switch k {
		case "name":
			out.Name = &str
		case "domain":
			out.Domain = &str
		case "username":
			out.Username = &str
		case "password":
			out.Password = &str
		}
	}
	if create && out.Domain == nil {
		return nil, badRequest("'domain' is a required property")
	}
	if !create && *out == (api.RegistryFields{}) {
		return nil, badRequest("The registry update has no field to change.")
	}
	return out, nil
}

func (s *Server) registryCreate(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "registry:create", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	if err := s.needSecrets(); err != nil {
		return 0, nil, err
	}
	f, err := q.registryBody(s.cfg.MaxBodyBytes, true)
	if err != nil {
		return 0, nil, err
	}
	r := &model.Registry{UUID: uuid.NewString(), ProjectID: q.id.ProjectID, UserID: q.id.UserID}
	if err := s.applyRegistry(r, f); err != nil {
		return 0, nil, err
	}
	if err := s.store.Registries().Create(q.ctx, r); err != nil {
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("A registry with name %s already exists.", r.Name))
		}
		return 0, nil, err
	}
	q.w.Header().Set("Location", s.base(q)+"/v1/registries/"+r.UUID)
	return http.StatusCreated, api.RegistryBody[api.Registry]{Registry: s.registryView(q, r)}, nil
}

// applyRegistry copies the fields sent; the password is sealed, bound to
// the registry's UUID.
func (s *Server) applyRegistry(r *model.Registry, f *api.RegistryFields) error {
	if f.Name != nil {
		r.Name = *f.Name
	}
	if f.Domain != nil {
		r.Domain = *f.Domain
	}
	if f.Username != nil {
		r.Username = *f.Username
	}
	if f.Password != nil {
		sealed, err := s.secrets.Seal(*f.Password, r.UUID)
		if err != nil {
			return fmt.Errorf("failed to encrypt the registry password: %w", err)
		}
		r.SealedPassword = sealed
	}
	return nil
}

func (s *Server) loadRegistry(q *request, rule string) (*model.Registry, error) {
	id := q.pathValue("id")
	r, err := s.store.Registries().Get(s.lookupCtx(q), id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Registry %s could not be found.", id))
	}
	if errors.Is(err, errdefs.ErrConflict) {
		return nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Multiple registries exist with the same name %s. Please use the registry uuid instead.", id))
	}
	if err != nil {
		return nil, err
	}
	if err := s.policy.Authorize(q.ctx, rule, targetOf(r.ProjectID)); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Server) registryShow(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	r, err := s.loadRegistry(q, "registry:get_one")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, api.RegistryBody[api.Registry]{Registry: s.registryView(q, r)}, nil
}

func (s *Server) registryList(q *request) (int, any, error) {
	filters := []string{"name", "domain", "username", "project_id", "user_id"}
	if err := q.checkQuery(append([]string{"all_projects", "limit", "marker", "sort_key", "sort_dir"}, filters...)...); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "registry:get_all", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	ctx, err := s.allProjectsCtx(q, q.ctx, "registry:get_all_all_projects")
	if err != nil {
		return 0, nil, err
	}
	opts, err := s.listOptions(q, "id")
	if err != nil {
		return 0, nil, err
	}
	f := store.RegistryFilter{Name: q.query.Get("name"), Domain: q.query.Get("domain"), Username: q.query.Get("username"),
		ProjectID: q.query.Get("project_id"), UserID: q.query.Get("user_id")}
	list, err := s.store.Registries().List(ctx, f, opts)
	if err != nil {
		return 0, nil, err
	}
	out := api.RegistryList{Registries: make([]api.Registry, 0, len(list))}
	for _, r := range list {
		out.Registries = append(out.Registries, s.registryView(q, r))
	}
	if opts.Limit > 0 && len(list) == opts.Limit {
		out.Next = s.nextLink(q, "registries", list[len(list)-1].UUID, opts.Limit)
	}
	return http.StatusOK, out, nil
}

func (s *Server) registryUpdate(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	if err := s.needSecrets(); err != nil {
		return 0, nil, err
	}
	r, err := s.loadRegistry(q, "registry:update")
	if err != nil {
		return 0, nil, err
	}
	f, err := q.registryBody(s.cfg.MaxBodyBytes, false)
	if err != nil {
		return 0, nil, err
	}
	upd, err := s.store.Registries().Update(zunctx.System(q.ctx), r.UUID, func(x *model.Registry) error {
		return s.applyRegistry(x, f)
	})
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("A registry with name %s already exists.", *f.Name))
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, api.RegistryBody[api.Registry]{Registry: s.registryView(q, upd)}, nil
}

func (s *Server) registryDelete(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	r, err := s.loadRegistry(q, "registry:delete")
	if err != nil {
		return 0, nil, err
	}
	if err := s.store.Registries().Delete(zunctx.System(q.ctx), r.UUID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// resolveRegistry finds the registry a create names (UUID or name) in the
// caller's scope and returns its UUID.
func (s *Server) resolveRegistry(q *request, ref string) (string, error) {
	if err := s.needSecrets(); err != nil {
		return "", err
	}
	r, err := s.store.Registries().Get(s.lookupCtx(q), ref)
	if errors.Is(err, errdefs.ErrNotFound) {
		return "", errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Registry %s could not be found.", ref))
	}
	if err != nil {
		return "", err
	}
	if err := s.policy.Authorize(q.ctx, "registry:get_one", targetOf(r.ProjectID)); err != nil {
		return "", err
	}
	return r.UUID, nil
}

// registryAuth decrypts the credential of a container's registry for the
// one request that pulls with it.
func (s *Server) registryAuth(ctx context.Context, registryID string) (*container.RegistryAuth, error) {
	if registryID == "" {
		return nil, nil
	}
	if err := s.needSecrets(); err != nil {
		return nil, err
	}
	r, err := s.store.Registries().Get(zunctx.System(ctx), registryID)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", registryID, err)
	}
	auth := &container.RegistryAuth{Username: r.Username, ServerAddress: r.Domain}
	if r.SealedPassword != "" {
		if auth.Password, err = s.secrets.Open(r.SealedPassword, r.UUID); err != nil {
			return nil, fmt.Errorf("the password of registry %s cannot be decrypted with this API's key: %w", r.UUID, errdefs.ErrFailedPrecondition)
		}
	}
	return auth, nil
}
