package model

import "time"

// Volume statuses (Cinder's).
const (
	VolumeCreating  = "creating"
	VolumeAvailable = "available"
	VolumeReserved  = "reserved"
	VolumeInUse     = "in-use"
	VolumeDetaching = "detaching"
	VolumeDeleting  = "deleting"
	VolumeError     = "error"
)

// Volume is a block volume of the local backend: a sparse file on one
// compute host (Host, set when it is first attached), attached through a
// loop device while a container uses it. Identity (UUID, ProjectID,
// UserID) is immutable.
type Volume struct {
	ID        int64  `json:"id"`
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`
	// Size is in GiB (at least 1).
	Size        int64  `json:"size"`
	Description string `json:"description,omitempty"`
	Status      string `json:"status"`
	// Host is the compute host holding the backing file; empty until the
	// volume is first attached.
	Host string `json:"host,omitempty"`
	// AttachedTo is the container using the volume (reserved or in-use).
	AttachedTo string `json:"attached_to,omitempty"`
	// Mountpoint is the path inside that container.
	Mountpoint string `json:"mountpoint,omitempty"`
	// AutoRemove volumes were created by a container's size= mount and go
	// away with it, as Zun does.
	AutoRemove bool      `json:"auto_remove"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// Mount types of a container (Zun's mounts[].type).
const (
	MountVolume = "volume"
	MountBind   = "bind"
)

// Mount is one entry of a container's mounts. A volume mount names its
// volume; a bind mount carries the injected file's content. HostPath is
// computed by the compute agent from the data directory and never comes
// from the wire or the store.
type Mount struct {
	Type        string `json:"type"`
	VolumeID    string `json:"volume_id,omitempty"`
	Size        int64  `json:"size,omitempty"` // GiB of the volume
	Destination string `json:"destination"`
	// AutoRemove volumes are destroyed with the container.
	AutoRemove bool `json:"auto_remove,omitempty"`
	// Content is the injected file (type bind), base64 as the API got it.
	Content  string `json:"content,omitempty"`
	HostPath string `json:"-"`
}
