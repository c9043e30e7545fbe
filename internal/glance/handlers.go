package glance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Handler serves the API; mount it with the /image prefix stripped.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.versions)
	mux.HandleFunc("GET /versions", s.versions)
	mux.HandleFunc("GET /v2/{$}", s.versions)
	mux.HandleFunc("GET /v2", s.versions)
	mux.Handle("POST /v2/images", s.authed(s.create))
	mux.Handle("GET /v2/images", s.authed(s.list))
	mux.Handle("GET /v2/images/{id}", s.authed(s.show))
	mux.Handle("PATCH /v2/images/{id}", s.authed(s.patch))
	mux.Handle("DELETE /v2/images/{id}", s.authed(s.delete))
	mux.Handle("PUT /v2/images/{id}/file", s.authed(s.putFile))
	mux.Handle("GET /v2/images/{id}/file", s.authed(s.getFile))
	mux.HandleFunc("GET /zun-download/{id}", s.signedDownload)
	mux.HandleFunc("PUT /zun-upload/{id}", s.signedUpload)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, errdefs.New(errdefs.ErrNotFound, "The resource could not be found."))
	})
	// Mounted with its prefix stripped, the service root arrives empty.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" {
			r.URL.Path = "/"
		}
		mux.ServeHTTP(w, r)
	})
}

type handler func(w http.ResponseWriter, r *http.Request, id zunctx.Identity) error

// authed checks the token; an admin's reads and writes span projects, as
// Glance's do.
func (s *Service) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		id, _, err := s.auth.Validate(r.Context(), tok)
		if tok == "" || err != nil {
			writeErr(w, errdefs.New(errdefs.ErrUnauthorized, "This server could not verify that you are authorized to access the document you requested."))
			return
		}
		ctx := zunctx.WithIdentity(r.Context(), id)
		if id.IsAdmin() {
			ctx = zunctx.WithAllProjects(ctx)
		}
		if err := h(w, r.WithContext(ctx), id); err != nil {
			if errdefs.HTTPStatus(err) >= 500 {
				s.log.Error("image request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeErr(w, err)
		}
	})
}

func (s *Service) versions(w http.ResponseWriter, r *http.Request) {
	var vs []map[string]any
	for i, v := range []string{"v2.9", "v2.8", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"} {
		st := "SUPPORTED"
		if i == 0 {
			st = "CURRENT"
		}
		vs = append(vs, map[string]any{"id": v, "status": st,
			"links": []map[string]string{{"rel": "self", "href": s.cfg.PublicURL + "/v2/"}}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	status := errdefs.HTTPStatus(err)
	msg := err.Error()
	if status >= 500 {
		msg = "The server could not handle the request."
	}
	writeJSON(w, status, map[string]any{"code": status, "title": http.StatusText(status), "message": msg})
}

func badRequest(format string, a ...any) error {
	return errdefs.New(errdefs.ErrInvalidArgument, fmt.Sprintf(format, a...))
}

// view renders an image as Glance does: fixed fields plus the properties
// at the top level.
func view(im *model.GlanceImage) map[string]any {
	v := map[string]any{}
	for k, p := range im.Properties {
		v[k] = p
	}
	tags := im.Tags
	if tags == nil {
		tags = []string{}
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var size any
	if im.Status == model.GlanceActive {
		size = im.Size
	}
	for k, x := range map[string]any{
		"id": im.UUID, "name": nullable(im.Name), "status": im.Status, "visibility": im.Visibility,
		"protected": im.Protected, "checksum": nullable(im.Checksum), "os_hash_algo": nullable(im.HashAlgo),
		"os_hash_value": nullable(im.HashValue), "owner": im.ProjectID, "size": size, "virtual_size": nil,
		"min_ram": im.MinRAM, "min_disk": im.MinDisk, "disk_format": nullable(im.DiskFormat),
		"container_format": nullable(im.ContainerFormat), "tags": tags, "os_hidden": false,
		"created_at": im.CreatedAt.Format("2006-01-02T15:04:05Z"), "updated_at": im.UpdatedAt.Format("2006-01-02T15:04:05Z"),
		"self": "/v2/images/" + im.UUID, "file": "/v2/images/" + im.UUID + "/file", "schema": "/v2/schemas/image",
	} {
		v[k] = x
	}
	return v
}

var (
	containerFormats = []string{"ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"}
	diskFormats      = []string{"ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"}
	visibilities     = []string{"private", "public", "shared", "community"}
	// readOnly fields cannot be set by a client.
	readOnly = map[string]bool{"status": true, "size": true, "virtual_size": true, "checksum": true, "os_hash_algo": true,
		"os_hash_value": true, "created_at": true, "updated_at": true, "self": true, "file": true, "schema": true,
		"direct_url": true, "locations": true, "owner": true, "id": true, "os_hidden": true}
)

const maxProperties = 128

func oneOf(field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return badRequest("Invalid value '%s' for %s: expected one of %s", v, field, strings.Join(allowed, ", "))
}

// setField applies one client-settable field to im.
func setField(im *model.GlanceImage, id zunctx.Identity, k string, raw json.RawMessage) error {
	str := func(max int) (string, error) {
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", badRequest("Invalid type for %s: expected a string", k)
		}
		if v == nil {
			return "", nil
		}
		if len(*v) > max {
			return "", badRequest("%s is longer than %d characters", k, max)
		}
		return *v, nil
	}
	integer := func() (int, error) {
		var v int
		if err := json.Unmarshal(raw, &v); err != nil || v < 0 {
			return 0, badRequest("Invalid value for %s: expected a non-negative integer", k)
		}
		return v, nil
	}
	var err error
	switch k {
	case "name":
		im.Name, err = str(255)
	case "container_format":
		if im.ContainerFormat, err = str(32); err == nil && im.ContainerFormat != "" {
			err = oneOf(k, im.ContainerFormat, containerFormats)
		}
	case "disk_format":
		if im.DiskFormat, err = str(32); err == nil && im.DiskFormat != "" {
			err = oneOf(k, im.DiskFormat, diskFormats)
		}
	case "visibility":
		if im.Visibility, err = str(32); err == nil {
			err = oneOf(k, im.Visibility, visibilities)
		}
		if err == nil && im.Visibility == "public" && !id.IsAdmin() {
			err = errdefs.New(errdefs.ErrForbidden, "You are not authorized to publicize images.")
		}
	case "protected":
		if json.Unmarshal(raw, &im.Protected) != nil {
			err = badRequest("Invalid type for protected: expected a boolean")
		}
	case "min_disk":
		im.MinDisk, err = integer()
	case "min_ram":
		im.MinRAM, err = integer()
	case "tags":
		if json.Unmarshal(raw, &im.Tags) != nil || len(im.Tags) > 128 {
			err = badRequest("Invalid value for tags: expected at most 128 strings")
		}
	default:
		if readOnly[k] {
			return errdefs.New(errdefs.ErrForbidden, fmt.Sprintf("Attribute '%s' is read-only.", k))
		}
		if len(k) == 0 || len(k) > 255 {
			return badRequest("Invalid property name")
		}
		var v string
		if v, err = str(65535); err == nil {
			if im.Properties == nil {
				im.Properties = map[string]string{}
			}
			im.Properties[k] = v
			if len(im.Properties) > maxProperties {
				err = errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("Maximum number of properties (%d) exceeded", maxProperties))
			}
		}
	}
	return err
}

func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		return badRequest("failed to read the request body")
	}
	if len(b) > 64<<10 {
		return errdefs.New(errdefs.ErrTooLarge, "Request body is too large.")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Malformed JSON in request body.")
	}
	return nil
}

func (s *Service) create(w http.ResponseWriter, r *http.Request, id zunctx.Identity) error {
	var body map[string]json.RawMessage
	if err := readJSON(r, &body); err != nil {
		return err
	}
	if body == nil {
		return badRequest("The request body must be a JSON object.")
	}
	im := &model.GlanceImage{Status: model.GlanceQueued, Visibility: "shared", ProjectID: id.ProjectID}
	for k, raw := range body {
		if k == "id" {
			// Glance lets the client choose the ID.
			if err := json.Unmarshal(raw, &im.UUID); err != nil || len(im.UUID) != 36 {
				return badRequest("Invalid id: expected a UUID")
			}
			continue
		}
		if err := setField(im, id, k, raw); err != nil {
			return err
		}
	}
	if err := s.st.Create(r.Context(), im); err != nil {
		if errors.Is(err, errdefs.ErrAlreadyExists) {
			return errdefs.New(errdefs.ErrConflict, "An image with identifier "+im.UUID+" already exists")
		}
		return err
	}
	w.Header().Set("Location", s.cfg.PublicURL+"/v2/images/"+im.UUID)
	writeJSON(w, http.StatusCreated, view(im))
	return nil
}

func (s *Service) list(w http.ResponseWriter, r *http.Request, _ zunctx.Identity) error {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "name", "status", "visibility", "owner", "limit", "marker", "sort_key", "sort_dir", "member_status", "sort":
		default:
			return badRequest("Invalid filter: %s", k)
		}
	}
	opts := store.ListOptions{Marker: q.Get("marker"), SortKey: q.Get("sort_key"), SortDir: q.Get("sort_dir"), Limit: 1000}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return badRequest("limit param must be a non-negative integer")
		}
		opts.Limit = min(n, 1000)
	}
	if sk, ok := strings.CutPrefix(q.Get("sort"), ""); ok && sk != "" {
		k, d, _ := strings.Cut(sk, ":")
		opts.SortKey, opts.SortDir = k, d
	}
	if opts.SortKey == "" {
		opts.SortKey, opts.SortDir = "created_at", "desc"
	}
	vis := q.Get("visibility")
	if vis == "all" {
		vis = ""
	}
	list, err := s.st.List(r.Context(), store.GlanceImageFilter{Name: q.Get("name"), Status: q.Get("status"), Visibility: vis, Owner: q.Get("owner")}, opts)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for _, im := range list {
		out = append(out, view(im))
	}
	resp := map[string]any{"images": out, "first": "/v2/images", "schema": "/v2/schemas/images"}
	if q.Get("limit") != "" && len(list) == opts.Limit && len(list) > 0 {
		resp["next"] = "/v2/images?limit=" + strconv.Itoa(opts.Limit) + "&marker=" + list[len(list)-1].UUID
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Service) show(w http.ResponseWriter, r *http.Request, _ zunctx.Identity) error {
	im, err := s.st.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFound(err, r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, view(im))
	return nil
}

func notFound(err error, id string) error {
	if errors.Is(err, errdefs.ErrNotFound) {
		return errdefs.New(errdefs.ErrNotFound, "No image found with ID "+id)
	}
	return err
}

// patch applies a JSON patch (application/openstack-images-v2.1-json-patch).
func (s *Service) patch(w http.ResponseWriter, r *http.Request, id zunctx.Identity) error {
	var ops []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if err := readJSON(r, &ops); err != nil {
		return err
	}
	im, err := s.st.Update(r.Context(), r.PathValue("id"), func(im *model.GlanceImage) error {
		for _, op := range ops {
			field, ok := strings.CutPrefix(op.Path, "/")
			if !ok || field == "" || strings.Contains(field, "/") {
				return badRequest("Invalid JSON pointer for this resource: '%s'", op.Path)
			}
			switch op.Op {
			case "add", "replace":
				if err := setField(im, id, field, op.Value); err != nil {
					return err
				}
			case "remove":
				if _, ok := im.Properties[field]; !ok {
					return errdefs.New(errdefs.ErrConflict, "Property "+field+" does not exist.")
				}
				delete(im.Properties, field)
			default:
				return badRequest("Operation %q is not supported", op.Op)
			}
		}
		return nil
	})
	if err != nil {
		return notFound(err, r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, view(im))
	return nil
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request, _ zunctx.Identity) error {
	if err := s.Delete(r.Context(), r.PathValue("id")); err != nil {
		return notFound(err, r.PathValue("id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) putFile(w http.ResponseWriter, r *http.Request, _ zunctx.Identity) error {
	if _, err := s.upload(r.Context(), r.PathValue("id"), r.Body); err != nil {
		return notFound(err, r.PathValue("id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getFile(w http.ResponseWriter, r *http.Request, _ zunctx.Identity) error {
	im, err := s.st.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFound(err, r.PathValue("id"))
	}
	return s.serveBlob(w, r, im)
}

func (s *Service) serveBlob(w http.ResponseWriter, r *http.Request, im *model.GlanceImage) error {
	if im.Status != model.GlanceActive {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	f, err := os.Open(s.blobPath(im.UUID))
	if err != nil {
		return fmt.Errorf("failed to open image data: %w", err)
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-MD5", im.Checksum)
	w.Header().Set("X-Image-Sha256", im.HashValue)
	w.Header().Set("Content-Length", strconv.FormatInt(im.Size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f)
	return nil
}

// signedDownload serves a blob to a compute agent holding a URL of
// DownloadURL.
func (s *Service) signedDownload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.checkSignature(r, "download", id) {
		writeErr(w, errdefs.New(errdefs.ErrForbidden, "The download URL is invalid or expired."))
		return
	}
	im, err := s.st.Get(zunctx.System(r.Context()), id)
	if err != nil {
		writeErr(w, notFound(err, id))
		return
	}
	if err := s.serveBlob(w, r, im); err != nil {
		writeErr(w, err)
	}
}

// signedUpload receives a committed image from a compute host holding a
// URL of UploadURL.
func (s *Service) signedUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.checkSignature(r, "upload", id) {
		writeErr(w, errdefs.New(errdefs.ErrForbidden, "The upload URL is invalid or expired."))
		return
	}
	if _, err := s.upload(zunctx.System(r.Context()), id, r.Body); err != nil {
		writeErr(w, notFound(err, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
