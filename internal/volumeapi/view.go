package volumeapi

import (
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/policy"
)

const timeLayout = "2006-01-02T15:04:05.000000"

func (s *Server) target(q *request) policy.Target { return policy.Target{ProjectID: q.project} }

func (s *Server) links(v *model.Volume) []map[string]string {
	self := s.cfg.PublicURL + Prefix + "/v3/" + v.ProjectID + "/volumes/" + v.UUID
	return []map[string]string{{"rel": "self", "href": self}, {"rel": "bookmark", "href": self}}
}

// attachmentID is stable per (volume, container).
func attachmentID(v *model.Volume) string { return v.UUID[:24] + v.AttachedTo[24:] }

func attachStatus(v *model.Volume) string {
	if v.Status == model.VolumeInUse {
		return "attached"
	}
	return v.Status
}

// view renders v as Cinder's volume JSON; host and tenant attributes only
// for admins, as Cinder's policy does.
func (s *Server) view(q *request, v *model.Volume) map[string]any {
	attachments := []any{}
	if v.AttachedTo != "" && len(v.AttachedTo) >= 36 && len(v.UUID) >= 36 {
		attachments = append(attachments, map[string]any{
			"id": v.UUID, "attachment_id": attachmentID(v), "volume_id": v.UUID, "server_id": v.AttachedTo,
			"host_name": nil, "device": v.Mountpoint, "attached_at": v.UpdatedAt.UTC().Format(timeLayout),
		})
	}
	var name, desc any
	if v.Name != "" {
		name = v.Name
	}
	if v.Description != "" {
		desc = v.Description
	}
	out := map[string]any{
		"id": v.UUID, "name": name, "description": desc, "size": v.Size, "status": v.Status,
		"user_id": v.UserID, "availability_zone": "nova", "bootable": "false", "encrypted": false,
		"multiattach": false, "metadata": map[string]string{}, "volume_type": "local",
		"snapshot_id": nil, "source_volid": nil, "consistencygroup_id": nil, "replication_status": nil,
		"migration_status": nil, "attachments": attachments, "links": s.links(v),
		"created_at": v.CreatedAt.UTC().Format(timeLayout), "updated_at": v.UpdatedAt.UTC().Format(timeLayout),
	}
	if q.id.IsAdmin() {
		out["os-vol-tenant-attr:tenant_id"] = v.ProjectID
		var host any
		if v.Host != "" {
			host = v.Host + "@local#local"
		}
		out["os-vol-host-attr:host"] = host
	}
	return out
}
