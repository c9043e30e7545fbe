package model

import "time"

// Glance image statuses (the subset this image service uses).
const (
	GlanceQueued = "queued"
	GlanceSaving = "saving"
	GlanceActive = "active"
	GlanceKilled = "killed"
)

// GlanceImage is an image of the embedded image service (Glance v2
// subset). ProjectID is Glance's owner. The blob lives on the API host's
// disk; Checksum is its MD5 and HashValue its SHA-256 (os_hash_algo
// "sha256").
type GlanceImage struct {
	ID              int64             `json:"-"`
	UUID            string            `json:"id"`
	Name            string            `json:"name"`
	ProjectID       string            `json:"owner"`
	Visibility      string            `json:"visibility"` // private, public, shared, community
	Status          string            `json:"status"`
	ContainerFormat string            `json:"container_format,omitempty"`
	DiskFormat      string            `json:"disk_format,omitempty"`
	Size            int64             `json:"size,omitempty"`
	Checksum        string            `json:"checksum,omitempty"`
	HashAlgo        string            `json:"os_hash_algo,omitempty"`
	HashValue       string            `json:"os_hash_value,omitempty"`
	MinDisk         int               `json:"min_disk"`
	MinRAM          int               `json:"min_ram"`
	Protected       bool              `json:"protected"`
	Tags            []string          `json:"tags,omitempty"`
	Properties      map[string]string `json:"properties,omitempty"`
	CreatedAt       time.Time         `json:"created_at,omitzero"`
	UpdatedAt       time.Time         `json:"updated_at,omitzero"`
}

// Image is an image present on one compute host (Zun's images API).
type Image struct {
	ID        int64     `json:"-"`
	UUID      string    `json:"uuid"`
	ProjectID string    `json:"project_id"`
	Host      string    `json:"host"`
	Repo      string    `json:"repo"`
	Tag       string    `json:"tag"`
	ImageID   string    `json:"image_id,omitempty"` // the engine's image ID
	Size      int64     `json:"size,omitempty"`     // bytes
	Driver    string    `json:"driver,omitempty"`   // docker or glance
	Status    string    `json:"status,omitempty"`   // pulling, ready, error
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Image record statuses.
const (
	ImagePulling = "pulling"
	ImageReady   = "ready"
	ImageError   = "error"
)

// Registry is a private Docker registry with credentials. SealedPassword
// is the password encrypted by the API (never the clear text).
type Registry struct {
	ID             int64     `json:"-"`
	UUID           string    `json:"uuid"`
	ProjectID      string    `json:"project_id"`
	UserID         string    `json:"user_id"`
	Name           string    `json:"name"`
	Domain         string    `json:"domain"`
	Username       string    `json:"username"`
	SealedPassword string    `json:"sealed_password,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}
