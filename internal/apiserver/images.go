package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

var (
	// repoRe is a Docker repository (optionally with a registry host and
	// port), as reference.ParseNormalizedNamed accepts, without a tag.
	repoRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	tagRe  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func (s *Server) imageView(q *request, im *model.Image) api.Image {
	b := s.base(q)
	return api.Image{UUID: im.UUID, Links: []api.Link{{Href: b + "/v1/images/" + im.UUID, Rel: "self"},
		{Href: b + "/images/" + im.UUID, Rel: "bookmark"}},
		ImageID: im.ImageID, Repo: im.Repo, Tag: im.Tag, Size: im.Size, ProjectID: im.ProjectID, Host: im.Host,
		Status: im.Status, Reason: im.Reason}
}

func (s *Server) imagePull(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "image:pull", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	m, err := q.decodeBody(s.cfg.MaxBodyBytes)
	if err != nil {
		return 0, nil, err
	}
	allowed := map[string]bool{"repo": true, "host": true, "tag": true, "image_id": true, "size": true,
		"image_pull_policy": true, "image_driver": true}
	if q.version.AtLeast(31) {
		allowed["registry"] = true
	}
	if err := unknownFields(m, allowed); err != nil {
		return 0, nil, err
	}
	var p api.ImagePull
	for k, raw := range m {
		if isNull(raw) {
			continue
		}
		switch k {
		case "repo":
			p.Repo, err = decodeString(k, raw, 2, 255)
		case "host":
			p.Host, err = decodeString(k, raw, 1, 255)
		case "tag":
			p.Tag, err = decodeString(k, raw, 1, 128)
		case "image_pull_policy":
			p.ImagePullPolicy, err = decodeEnum(k, raw, "never", "always", "ifnotpresent")
		case "image_driver":
			p.ImageDriver, err = decodeEnum(k, raw, "docker", "glance")
		case "registry":
			p.Registry, err = decodeString(k, raw, 1, 255)
		case "image_id", "size":
			// Accepted for compatibility; the host reports the real ones.
		}
		if err != nil {
			return 0, nil, err
		}
	}
	if p.Repo == "" || p.Host == "" {
		return 0, nil, badRequest("'repo' and 'host' are required properties")
	}
	if repo, tag, ok := strings.Cut(p.Repo, ":"); ok && !strings.Contains(tag, "/") && p.Tag == "" {
		p.Repo, p.Tag = repo, tag
	}
	if uuidRe.MatchString(p.Repo) {
		p.ImageDriver = "glance"
	}
	if p.ImageDriver != "glance" && !repoRe.MatchString(p.Repo) {
		return 0, nil, invalid("repo", "Value: %q is not a valid image repository.", p.Repo)
	}
	if p.Tag == "" {
		p.Tag = "latest"
	}
	if !tagRe.MatchString(p.Tag) {
		return 0, nil, invalid("tag", "Value: %q is not a valid tag.", p.Tag)
	}
	if _, err := s.store.Hosts().Get(zunctx.System(q.ctx), p.Host); err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return 0, nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Compute host %s could not be found.", p.Host))
		}
		return 0, nil, err
	}
	req := rpc.ContainerRequest{Container: model.Container{Host: p.Host}, RequestID: zunctx.RequestID(q.ctx)}
	if p.Registry != "" {
		rid, err := s.resolveRegistry(q, p.Registry)
		if err != nil {
			return 0, nil, err
		}
		if req.RegistryAuth, err = s.registryAuth(q.ctx, rid); err != nil {
			return 0, nil, err
		}
	}
	im := &model.Image{ProjectID: q.id.ProjectID, Host: p.Host, Repo: p.Repo, Tag: p.Tag, Driver: orDefault(p.ImageDriver, "docker"),
		Status: model.ImagePulling}
	err = s.store.Images().Create(q.ctx, im)
	if errors.Is(err, errdefs.ErrAlreadyExists) {
		// Pulled before: pull again into the same record.
		list, lerr := s.store.Images().List(zunctx.System(q.ctx), store.ImageFilter{Host: p.Host, Repo: p.Repo, Tag: p.Tag}, store.ListOptions{Limit: 1})
		if lerr != nil || len(list) == 0 {
			return 0, nil, errdefs.New(errdefs.ErrConflict, "The image is being recorded by another request; retry.")
		}
		if im, err = s.store.Images().Update(zunctx.System(q.ctx), list[0].UUID, func(x *model.Image) error {
			x.Status, x.Reason = model.ImagePulling, ""
			return nil
		}); err != nil {
			return 0, nil, err
		}
	} else if err != nil {
		return 0, nil, err
	}
	req.ImageOp = &rpc.ImageOp{UUID: im.UUID, ProjectID: im.ProjectID, Repo: im.Repo, Tag: im.Tag, Driver: im.Driver,
		PullPolicy: p.ImagePullPolicy}
	if err := s.compute.Cast(q.ctx, rpc.MethodImagePull, req); err != nil {
		_, _ = s.store.Images().Update(zunctx.System(q.ctx), im.UUID, func(x *model.Image) error {
			x.Status, x.Reason = model.ImageError, "Compute host "+p.Host+" is not available."
			return nil
		})
		return 0, nil, errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Compute host %s is not available.", p.Host))
	}
	q.w.Header().Set("Location", s.base(q)+"/v1/images/"+im.UUID)
	return http.StatusAccepted, s.imageView(q, im), nil
}

func (s *Server) imageList(q *request) (int, any, error) {
	if err := q.checkQuery("limit", "marker", "sort_key", "sort_dir", "host", "repo", "tag"); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "image:get_all", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	opts, err := s.listOptions(q, "id")
	if err != nil {
		return 0, nil, err
	}
	list, err := s.store.Images().List(s.lookupCtx(q), store.ImageFilter{Host: q.query.Get("host"), Repo: q.query.Get("repo"), Tag: q.query.Get("tag")}, opts)
	if err != nil {
		return 0, nil, err
	}
	out := api.ImageList{Images: make([]api.Image, 0, len(list))}
	for _, im := range list {
		out.Images = append(out.Images, s.imageView(q, im))
	}
	if opts.Limit > 0 && len(list) == opts.Limit {
		out.Next = s.nextLink(q, "images", list[len(list)-1].UUID, opts.Limit)
	}
	return http.StatusOK, out, nil
}

func (s *Server) loadImage(q *request, rule string) (*model.Image, error) {
	id := q.pathValue("image")
	im, err := s.store.Images().Get(s.lookupCtx(q), id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Image %s could not be found.", id))
	}
	if err != nil {
		return nil, err
	}
	if err := s.policy.Authorize(q.ctx, rule, targetOf(im.ProjectID)); err != nil {
		return nil, err
	}
	return im, nil
}

func (s *Server) imageShow(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	im, err := s.loadImage(q, "image:get_one")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.imageView(q, im), nil
}

// imageDelete removes the image from its host (engine and cached archive)
// and then the record; an image a container uses is a conflict.
func (s *Server) imageDelete(q *request) (int, any, error) {
	if err := q.checkQuery(); err != nil {
		return 0, nil, err
	}
	im, err := s.loadImage(q, "image:delete")
	if err != nil {
		return 0, nil, err
	}
	if im.Status != model.ImageReady || im.ImageID == "" {
		// Never made it to the host: only the record goes.
		if err := s.store.Images().Delete(zunctx.System(q.ctx), im.UUID); err != nil {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, nil
	}
	req := rpc.ContainerRequest{Container: model.Container{Host: im.Host}, RequestID: zunctx.RequestID(q.ctx),
		ImageOp: &rpc.ImageOp{UUID: im.UUID, ProjectID: im.ProjectID, Repo: im.Repo, Tag: im.Tag, Driver: im.Driver, ImageID: im.ImageID}}
	ctx, cancel := context.WithTimeout(q.ctx, s.cfg.CallTimeout)
	defer cancel()
	err = s.compute.Call(ctx, rpc.MethodImageDelete, req, nil)
	switch {
	case errors.Is(err, errdefs.ErrConflict):
		return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Image %s is in use by a container on host %s.", im.UUID, im.Host))
	case errors.Is(err, errdefs.ErrUnavailable):
		return 0, nil, errdefs.New(errdefs.ErrUnavailable, fmt.Sprintf("Compute host %s is not available.", im.Host))
	case err != nil:
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// imageSearch searches the image service by name. Docker Hub is not
// reachable from this deployment, so the docker driver cannot search.
func (s *Server) imageSearch(q *request) (int, any, error) {
	if err := q.checkQuery("image_driver", "exact_match"); err != nil {
		return 0, nil, err
	}
	if err := s.policy.Authorize(q.ctx, "image:search", targetOf(q.id.ProjectID)); err != nil {
		return 0, nil, err
	}
	exact, err := q.boolParam("exact_match")
	if err != nil {
		return 0, nil, err
	}
	switch d := q.query.Get("image_driver"); d {
	case "glance":
	case "", "docker":
		return 0, nil, errdefs.New(errdefs.ErrNotImplemented, "Operation not supported: searching a Docker registry is not available in this deployment (Docker Hub is unreachable); search the image service with image_driver=glance.")
	default:
		return 0, nil, invalid("image_driver", "Value: %q. Expected docker or glance.", d)
	}
	if s.images == nil {
		return 0, nil, errdefs.New(errdefs.ErrNotImplemented, "This deployment runs no image service.")
	}
	name := q.pathValue("image")
	list, err := s.images.Search(q.ctx, name, exact)
	if err != nil {
		return 0, nil, err
	}
	out := make([]api.ImageSearchResult, 0, len(list))
	for _, im := range list {
		tags := im.Tags
		if tags == nil {
			tags = []string{}
		}
		meta := im.Properties
		if meta == nil {
			meta = map[string]string{}
		}
		out = append(out, api.ImageSearchResult{ID: im.UUID, Name: im.Name, Tags: tags, Status: im.Status, Size: im.Size, Metadata: meta})
	}
	return http.StatusOK, out, nil
}

// containerCommit commits a container into a new image of the image
// service: the image is created queued, the host commits, saves and
// uploads it; a failure marks it killed.
func (s *Server) containerCommit(q *request) (int, any, error) {
	if err := q.checkQuery("repository", "tag", "all_projects"); err != nil {
		return 0, nil, err
	}
	repo, tag := q.query.Get("repository"), q.query.Get("tag")
	if repo == "" {
		return 0, nil, badRequest("'repository' is a required parameter")
	}
	if r, t, ok := strings.Cut(repo, ":"); ok && tag == "" && !strings.Contains(t, "/") {
		repo, tag = r, t
	}
	if len(repo) > 255 || !repoRe.MatchString(repo) {
		return 0, nil, invalid("repository", "Value: %q is not a valid image repository.", repo)
	}
	if tag == "" {
		tag = "latest"
	}
	if !tagRe.MatchString(tag) {
		return 0, nil, invalid("tag", "Value: %q is not a valid tag.", tag)
	}
	if s.images == nil {
		return 0, nil, errdefs.New(errdefs.ErrNotImplemented, "This deployment runs no image service.")
	}
	c, err := s.loadInState(q, "container:commit", "commit")
	if err != nil {
		return 0, nil, err
	}
	if c.Host == "" {
		return 0, nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Container %s has no host.", c.UUID))
	}
	gi := &model.GlanceImage{Name: repo, ProjectID: c.ProjectID, Visibility: "private", Status: model.GlanceQueued,
		ContainerFormat: "docker", DiskFormat: "raw", Tags: []string{tag}, Properties: map[string]string{"zun_container": c.UUID}}
	if err := s.store.GlanceImages().Create(zunctx.System(q.ctx), gi); err != nil {
		return 0, nil, err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.ImageOp = &rpc.ImageOp{Repo: repo, Tag: tag, GlanceImageID: gi.UUID, UploadURL: s.images.UploadURL(gi.UUID)}
	s.recordAction(q, c, "commit")
	// The host does the work (commit, save, upload) and reports a failure
	// through the conductor; nothing of it runs in this process.
	if err := s.compute.Cast(q.ctx, rpc.MethodCommit, req); err != nil {
		s.log.Warn("failed to hand the commit to its host", "uuid", c.UUID, "host", c.Host, "err", err)
		reason := fmt.Sprintf("Compute host %s is not available.", c.Host)
		_, _ = s.store.GlanceImages().Update(zunctx.System(q.ctx), gi.UUID, func(x *model.GlanceImage) error {
			x.Status = model.GlanceKilled
			x.Properties["zun_commit_error"] = reason
			return nil
		})
		_ = s.store.Actions().Finish(zunctx.System(q.ctx), c.UUID, zunctx.RequestID(q.ctx), s.now().UTC(), reason)
		return 0, nil, errdefs.New(errdefs.ErrUnavailable, reason)
	}
	return http.StatusAccepted, api.CommitResult{UUID: gi.UUID}, nil
}
