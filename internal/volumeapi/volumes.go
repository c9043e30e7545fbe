package volumeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

const maxBody = 64 << 10

func badRequest(format string, a ...any) error {
	return errdefs.New(errdefs.ErrInvalidArgument, fmt.Sprintf(format, a...))
}

func notFound(id string) error {
	return errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Volume %s could not be found.", id))
}

// createKeys are the keys of {"volume": {...}} cinderclient sends; the ones
// this backend cannot honour must be null (or empty).
var createKeys = map[string]bool{
	"size": true, "name": true, "description": true, "metadata": true, "availability_zone": true,
	"volume_type": true, "consistencygroup_id": true, "snapshot_id": true, "imageRef": true,
	"source_volid": true, "backup_id": true, "group_id": true, "multiattach": true,
}

var unsupported = []string{"consistencygroup_id", "snapshot_id", "imageRef", "source_volid", "backup_id", "group_id"}

func (s *Server) create(q *request) (int, any, error) {
	raw, err := io.ReadAll(io.LimitReader(q.r.Body, maxBody+1))
	if err != nil {
		return 0, nil, badRequest("Failed to read the request body.")
	}
	if len(raw) > maxBody {
		return 0, nil, errdefs.New(errdefs.ErrTooLarge, "The request body is too large.")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return 0, nil, badRequest("Malformed request body.")
	}
	for k, v := range top {
		if k != "volume" && !(k == "OS-SCH-HNT:scheduler_hints" && isEmpty(v)) {
			return 0, nil, badRequest("Additional properties are not allowed ('%s' was unexpected).", k)
		}
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(top["volume"], &body); err != nil || body == nil {
		return 0, nil, badRequest("Missing required element 'volume' in request body.")
	}
	for k := range body {
		if !createKeys[k] {
			return 0, nil, badRequest("Additional properties are not allowed ('%s' was unexpected).", k)
		}
	}
	for _, k := range unsupported {
		if v, ok := body[k]; ok && !isEmpty(v) {
			return 0, nil, badRequest("Invalid input: %s is not supported by the local volume backend.", k)
		}
	}
	if v, ok := body["multiattach"]; ok && !isEmpty(v) && string(v) != "false" {
		return 0, nil, badRequest("Invalid input: multiattach is not supported by the local volume backend.")
	}
	if v, ok := body["metadata"]; ok && !isEmpty(v) {
		return 0, nil, badRequest("Invalid input: volume metadata is not supported.")
	}
	if v, ok := body["availability_zone"]; ok && !isEmpty(v) {
		var az string
		if json.Unmarshal(v, &az) != nil || az != "nova" {
			return 0, nil, badRequest("Invalid input: availability zone %s is not known.", string(v))
		}
	}
	vol := &model.Volume{ProjectID: q.id.ProjectID, UserID: q.id.UserID, Status: model.VolumeAvailable}
	if vol.Size, err = decodeSize(body["size"], s.cfg.MaxSize); err != nil {
		return 0, nil, err
	}
	if vol.Name, err = decodeText("name", body["name"]); err != nil {
		return 0, nil, err
	}
	if vol.Description, err = decodeText("description", body["description"]); err != nil {
		return 0, nil, err
	}
	// The backing file is made on the host of the first container using
	// the volume, so a new volume is available at once.
	if err := s.vols.CreateInQuota(q.ctx, vol); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]any{"volume": s.view(q, vol)}, nil
}

func isEmpty(v json.RawMessage) bool {
	switch string(v) {
	case "", "null", `""`, "{}", "[]":
		return true
	}
	return false
}

func decodeSize(raw json.RawMessage, max int64) (int64, error) {
	if isEmpty(raw) {
		return 0, badRequest("Invalid input: 'size' is a required property.")
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return 0, badRequest("Invalid input for field/attribute size. Value: %s. Expected an integer.", raw)
		}
		n = json.Number(str)
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < 1 || v > max {
		return 0, badRequest("Invalid input for field/attribute size. Value: %s. It must be an integer between 1 and %d (GiB).", raw, max)
	}
	return v, nil
}

func decodeText(field string, raw json.RawMessage) (string, error) {
	if isEmpty(raw) {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil || len(v) > 255 {
		return "", badRequest("Invalid input for field/attribute %s. Expected a string of at most 255 characters.", field)
	}
	return v, nil
}

// load finds the path's volume in the caller's project.
func (s *Server) load(q *request) (*model.Volume, error) {
	id := q.r.PathValue("id")
	v, err := s.vols.Get(q.ctx, id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, notFound(id)
	}
	if errors.Is(err, errdefs.ErrConflict) {
		return nil, errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Multiple volumes are named %s. Please use the volume id instead.", id))
	}
	return v, err
}

func (s *Server) show(q *request) (int, any, error) {
	v, err := s.load(q)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"volume": s.view(q, v)}, nil
}

// list serves GET volumes (summary) and volumes/detail, with Cinder's
// filters name and status, paging by marker and limit, and all_tenants
// for admins.
func (s *Server) list(detail bool) handler {
	return func(q *request) (int, any, error) {
		qs := q.r.URL.Query()
		for k := range qs {
			switch k {
			case "name", "status", "marker", "limit", "all_tenants", "sort", "sort_key", "sort_dir", "with_count":
			default:
				return 0, nil, badRequest("Invalid filter keys: %s", k)
			}
		}
		ctx := q.ctx
		if all := qs.Get("all_tenants"); all != "" && all != "0" && all != "false" && all != "False" {
			if err := s.policy.Authorize(ctx, "volume:get_all_all_projects", s.target(q)); err != nil {
				return 0, nil, err
			}
			ctx = zunctx.WithAllProjects(ctx)
		}
		opts := store.ListOptions{Marker: qs.Get("marker")}
		if l := qs.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 0 {
				return 0, nil, badRequest("Invalid input: limit must be a non-negative integer.")
			}
			opts.Limit = n
		}
		list, err := s.vols.List(ctx, opts)
		if errors.Is(err, errdefs.ErrNotFound) {
			return 0, nil, notFound(opts.Marker)
		}
		if err != nil {
			return 0, nil, err
		}
		out := make([]any, 0, len(list))
		for _, v := range list {
			if n := qs.Get("name"); n != "" && v.Name != n {
				continue
			}
			if st := qs.Get("status"); st != "" && v.Status != st {
				continue
			}
			if detail {
				out = append(out, s.view(q, v))
			} else {
				out = append(out, map[string]any{"id": v.UUID, "name": v.Name, "links": s.links(v)})
			}
		}
		return http.StatusOK, map[string]any{"volumes": out}, nil
	}
}

// delete refuses volumes a container uses; an unplaced volume goes at
// once, a placed one becomes deleting and its host destroys the file (at
// once, or at its next start-up if it is down).
func (s *Server) delete(q *request) (int, any, error) {
	v, err := s.load(q)
	if err != nil {
		return 0, nil, err
	}
	v, err = s.vols.Update(q.ctx, v.UUID, func(x *model.Volume) error {
		if x.AttachedTo != "" || (x.Status != model.VolumeAvailable && x.Status != model.VolumeError) {
			msg := fmt.Sprintf("Invalid volume: Volume %s is %s", x.UUID, x.Status)
			if x.AttachedTo != "" {
				msg += " by container " + x.AttachedTo
			}
			return badRequest("%s; it can be deleted only when it is available or in error (delete the container using it first).", msg)
		}
		x.Status = model.VolumeDeleting
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	if v.Host == "" {
		if err := s.vols.Delete(q.ctx, v.UUID); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return 0, nil, err
		}
		return http.StatusAccepted, nil, nil
	}
	req := rpc.ContainerRequest{Container: model.Container{Host: v.Host}, VolumeID: v.UUID}
	if err := s.compute.Cast(q.ctx, rpc.MethodVolumeDelete, req); err != nil {
		s.log.Warn("volume host unavailable; its start-up reconcile finishes the delete", "volume", v.UUID, "host", v.Host, "err", err)
	}
	return http.StatusAccepted, nil, nil
}

// attachments lists the caller's attached volumes as Cinder attachments.
func (s *Server) attachments(detail bool) handler {
	return func(q *request) (int, any, error) {
		list, err := s.vols.List(q.ctx, store.ListOptions{})
		if err != nil {
			return 0, nil, err
		}
		out := []any{}
		for _, v := range list {
			if v.AttachedTo == "" {
				continue
			}
			a := map[string]any{"id": attachmentID(v), "volume_id": v.UUID, "instance": v.AttachedTo, "status": attachStatus(v)}
			if detail {
				a["attach_mode"] = "rw"
				a["attached_at"] = v.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000000")
				a["detached_at"] = nil
				a["connection_info"] = map[string]any{}
			}
			out = append(out, a)
		}
		return http.StatusOK, map[string]any{"attachments": out}, nil
	}
}
