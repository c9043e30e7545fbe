package apiserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// Bounds of the mounts of a create request.
const (
	maxMounts           = 16
	maxMountPath        = 1024
	maxVolumeSize       = 1000      // GiB of a size= volume
	maxInjectedFile     = 256 << 10 // bytes of one type=bind file, decoded
	maxInjectedTotal    = 512 << 10 // bytes of all of a container's files
	minTypeMicroversion = 23
)

// forbiddenMountRoots are host-facing paths a mount may not cover: the
// kernel's interfaces and the engine's socket.
var forbiddenMountRoots = []string{"/proc", "/sys", "/dev", "/var/run/docker.sock", "/run/docker.sock", "/run/docker", "/var/run/docker"}

// decodeMounts validates the mounts of a create body (1.11; type since
// 1.23). Volume sources are names or ids resolved later by reserveVolumes;
// bind sources are base64 file content, never host paths.
func decodeMounts(raw json.RawMessage, minor int) ([]model.Mount, error) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, invalid("mounts", "Expected an array of objects.")
	}
	if len(items) > maxMounts {
		return nil, invalid("mounts", "At most %d mounts are allowed.", maxMounts)
	}
	allowed := map[string]bool{"source": true, "destination": true, "size": true}
	if minor >= minTypeMicroversion {
		allowed["type"] = true
	}
	out := make([]model.Mount, 0, len(items))
	seen := map[string]bool{}
	total := 0
	for _, it := range items {
		if err := unknownFields(it, allowed); err != nil {
			return nil, err
		}
		m, n, err := decodeMount(it)
		if err != nil {
			return nil, err
		}
		if seen[m.Destination] {
			return nil, invalid("mounts", "Destination %q is used twice.", m.Destination)
		}
		seen[m.Destination] = true
		if total += n; total > maxInjectedTotal {
			return nil, invalid("mounts", "Injected files may not exceed %d bytes in all.", maxInjectedTotal)
		}
		out = append(out, m)
	}
	return out, nil
}

// decodeMount decodes one mount; n is the size of an injected file.
func decodeMount(it map[string]json.RawMessage) (m model.Mount, n int, err error) {
	m.Type = model.MountVolume
	if r, ok := it["type"]; ok && !isNull(r) {
		if m.Type, err = decodeEnum("mounts.type", r, model.MountVolume, model.MountBind); err != nil {
			return m, 0, err
		}
	}
	r, ok := it["destination"]
	if !ok || isNull(r) {
		return m, 0, invalid("mounts", "'destination' is a required property.")
	}
	if m.Destination, err = decodeString("mounts.destination", r, 1, maxMountPath); err != nil {
		return m, 0, err
	}
	if err := checkDestination(m.Destination); err != nil {
		return m, 0, err
	}
	var source string
	if r, ok := it["source"]; ok && !isNull(r) {
		limit := 255
		if m.Type == model.MountBind {
			limit = base64.StdEncoding.EncodedLen(maxInjectedFile)
		}
		if source, err = decodeString("mounts.source", r, 1, limit); err != nil {
			return m, 0, err
		}
	}
	var size int
	if r, ok := it["size"]; ok && !isNull(r) {
		if size, err = decodeInt("mounts.size", r, 1, maxVolumeSize); err != nil {
			return m, 0, err
		}
	}
	switch {
	case m.Type == model.MountBind:
		if source == "" || size != 0 {
			return m, 0, invalid("mounts", "A bind mount needs the base64 file content as source and no size.")
		}
		b, err := base64.StdEncoding.DecodeString(source)
		if err != nil {
			return m, 0, invalid("mounts.source", "The content of a bind mount must be base64.")
		}
		if len(b) > maxInjectedFile {
			return m, 0, invalid("mounts.source", "An injected file may not exceed %d bytes.", maxInjectedFile)
		}
		m.Content, n = source, len(b)
	case source != "" && size != 0, source == "" && size == 0:
		return m, 0, invalid("mounts", "A volume mount needs either source=<volume> or size=<GB>, not both.")
	case source != "":
		m.VolumeID = source
	default:
		m.Size, m.AutoRemove = int64(size), true
	}
	return m, n, nil
}

// checkDestination refuses relative paths, "..", NUL and paths into the
// kernel's interfaces or the engine's socket.
func checkDestination(d string) error {
	if !strings.HasPrefix(d, "/") {
		return invalid("mounts.destination", "Value: %q. Must be an absolute path.", truncate([]byte(d)))
	}
	if strings.ContainsRune(d, 0) {
		return invalid("mounts.destination", "Value must not contain NUL.")
	}
	clean := "/"
	for _, part := range strings.Split(d, "/") {
		switch part {
		case "", ".":
		case "..":
			return invalid("mounts.destination", "Value: %q. Must not contain '..'.", truncate([]byte(d)))
		default:
			clean = strings.TrimSuffix(clean, "/") + "/" + part
		}
	}
	if clean == "/" {
		return invalid("mounts.destination", "Value: %q. Cannot mount over the root.", d)
	}
	for _, root := range forbiddenMountRoots {
		if clean == root || strings.HasPrefix(clean, root+"/") {
			return invalid("mounts.destination", "Value: %q. Mounts into %s are not allowed.", truncate([]byte(d)), root)
		}
	}
	return nil
}

// reserveVolumes resolves c's volume mounts in the caller's project and
// reserves them for c (available → reserved), creating the size= ones.
// It returns the host holding the volumes ("" if none is placed yet). On
// error nothing stays reserved.
func (s *Server) reserveVolumes(q *request, c *model.Container) (host string, err error) {
	vs := s.store.Volumes()
	defer func() {
		if err != nil {
			s.releaseVolumes(q.ctx, c.UUID)
		}
	}()
	for i := range c.Mounts {
		m := &c.Mounts[i]
		if m.Type != model.MountVolume {
			continue
		}
		var v *model.Volume
		if m.VolumeID == "" {
			v = &model.Volume{ProjectID: c.ProjectID, UserID: c.UserID, Size: m.Size, AutoRemove: true,
				Status: model.VolumeReserved, AttachedTo: c.UUID, Mountpoint: m.Destination}
			if err := vs.Create(q.ctx, v); err != nil {
				return "", err
			}
		} else {
			v, err = vs.Get(q.ctx, m.VolumeID)
			if errors.Is(err, errdefs.ErrNotFound) {
				return "", errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Volume %s could not be found.", m.VolumeID))
			}
			if errors.Is(err, errdefs.ErrConflict) {
				return "", errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Multiple volumes are named %s. Please use the volume id instead.", m.VolumeID))
			}
			if err != nil {
				return "", err
			}
			v, err = vs.Update(q.ctx, v.UUID, func(x *model.Volume) error {
				if x.Status != model.VolumeAvailable {
					return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Volume %s is %s; only an available volume can be mounted.", m.VolumeID, x.Status))
				}
				x.Status, x.AttachedTo, x.Mountpoint = model.VolumeReserved, c.UUID, m.Destination
				return nil
			})
			if err != nil {
				return "", err
			}
		}
		m.VolumeID, m.Size = v.UUID, v.Size
		if v.Host != "" {
			if host != "" && host != v.Host {
				return "", badRequest("Invalid input for field/attribute mounts. The volumes are on different hosts (%s, %s) and cannot be mounted together.", host, v.Host)
			}
			host = v.Host
		}
	}
	if host != "" && c.RequestedHost != "" && host != c.RequestedHost {
		return "", badRequest("Invalid input: the volumes are on host %s, not on the requested host %s.", host, c.RequestedHost)
	}
	return host, nil
}

// releaseVolumes gives back the volumes and ports of a container that
// never reached a host (failed create, delete of an unplaced container).
func (s *Server) releaseVolumes(ctx context.Context, containerUUID string) {
	s.releasePorts(ctx, containerUUID)
	if err := store.ReleaseContainerVolumes(zunctx.System(ctx), s.store.Volumes(), containerUUID); err != nil {
		s.log.Error("failed to release volumes", "uuid", containerUUID, "err", err)
	}
}
