package rpc

import (
	"context"

	"github.com/openzun/zun/internal/model"
)

// Compute method of the volume backend: destroy a volume's backing file
// (ContainerRequest.VolumeID names it).
const MethodVolumeDelete = "volume_delete"

// Conductor methods of volumes.
const (
	// MethodVolumesAttached: the agent attached a container's volumes.
	MethodVolumesAttached = "volumes_attached"
	// MethodVolumeGone: the agent destroyed a volume's backing file.
	MethodVolumeGone = "volume_gone"
	// MethodHostVolumes: the volumes held by a host (for its reconcile).
	MethodHostVolumes = "host_volumes"
)

// VolumesAttached reports that the volumes of a container are attached on
// Host and in use. ContainerUUID is a capsule's uuid for its volumes.
type VolumesAttached struct {
	ContainerUUID string `json:"container_uuid"`
	Host          string `json:"host"`
}

// VolumeGone reports that a volume's backing file is destroyed.
type VolumeGone struct {
	VolumeID string `json:"volume_id"`
	Host     string `json:"host"`
}

// HostVolumesReply lists the volumes of a host.
type HostVolumesReply struct {
	Volumes []model.Volume `json:"volumes"`
}

// VolumesAttached reports attached volumes.
func (c ConductorClient) VolumesAttached(ctx context.Context, r VolumesAttached) error {
	return c.call(ctx, MethodVolumesAttached, r, nil)
}

// VolumeGone reports a destroyed volume.
func (c ConductorClient) VolumeGone(ctx context.Context, r VolumeGone) error {
	return c.call(ctx, MethodVolumeGone, r, nil)
}

// HostVolumes lists the volumes held by host.
func (c ConductorClient) HostVolumes(ctx context.Context, host string) ([]model.Volume, error) {
	var r HostVolumesReply
	if err := c.call(ctx, MethodHostVolumes, HostContainersRequest{Host: host}, &r); err != nil {
		return nil, err
	}
	return r.Volumes, nil
}
