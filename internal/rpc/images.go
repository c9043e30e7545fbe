package rpc

import (
	"context"
	"time"
)

// Conductor methods of the image flow.
const (
	MethodGlanceLocation = "glance_location"
	MethodImageRecord    = "image_record"
	MethodImageGone      = "image_gone"
	MethodHostImages     = "host_images"
)

// ImageOp is the image part of a compute request: a pull to the host
// (images API), the removal of an image, or a commit.
type ImageOp struct {
	UUID       string `json:"uuid,omitempty"` // the per-host image record
	ProjectID  string `json:"project_id,omitempty"`
	Repo       string `json:"repo"`
	Tag        string `json:"tag,omitempty"`
	Driver     string `json:"driver,omitempty"` // docker or glance
	PullPolicy string `json:"pull_policy,omitempty"`
	ImageID    string `json:"image_id,omitempty"` // the engine's, for deletes
	// Commit: the image service record that receives the archive, and the
	// signed URL to upload it to.
	GlanceImageID string `json:"glance_image_id,omitempty"`
	UploadURL     string `json:"upload_url,omitempty"`
}

// GlanceLocationRequest asks where to download an image of the image
// service, as project sees it.
type GlanceLocationRequest struct {
	Host      string `json:"host"`
	ProjectID string `json:"project_id"`
	Image     string `json:"image"` // ID or name
}

// GlanceLocation is an image's download URL (short-lived, signed) and
// what the download must match.
type GlanceLocation struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	MD5       string `json:"md5"`
	SHA256    string `json:"sha256"`
	URL       string `json:"url"`
	Container string `json:"container_format"`
}

// ImageRecord reports an image on a host (pulled, loaded, used, failed).
// The record is found by UUID, else by (host, repo, tag), and created if
// missing; its update time is the image's last use.
type ImageRecord struct {
	UUID      string    `json:"uuid,omitempty"`
	Host      string    `json:"host"`
	ProjectID string    `json:"project_id"`
	Repo      string    `json:"repo"`
	Tag       string    `json:"tag"`
	ImageID   string    `json:"image_id,omitempty"`
	Size      int64     `json:"size,omitempty"`
	Driver    string    `json:"driver,omitempty"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// ImageGone reports the removal of an image from a host.
type ImageGone struct {
	UUID string `json:"uuid"`
	Host string `json:"host"`
}

// HostImage is one image record of a host, for the image GC.
type HostImage struct {
	UUID      string    `json:"uuid"`
	Repo      string    `json:"repo"`
	Tag       string    `json:"tag"`
	ImageID   string    `json:"image_id"`
	Size      int64     `json:"size"`
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updated_at"`
}

// HostImagesReply lists a host's image records.
type HostImagesReply struct {
	Images []HostImage `json:"images"`
}

// GlanceLocation asks the conductor for an image's download location.
func (c ConductorClient) GlanceLocation(ctx context.Context, r GlanceLocationRequest) (GlanceLocation, error) {
	var out GlanceLocation
	err := c.call(ctx, MethodGlanceLocation, r, &out)
	return out, err
}

// ImageRecord records an image on a host.
func (c ConductorClient) ImageRecord(ctx context.Context, r ImageRecord) error {
	return c.call(ctx, MethodImageRecord, r, nil)
}

// ImageGone drops an image record.
func (c ConductorClient) ImageGone(ctx context.Context, g ImageGone) error {
	return c.call(ctx, MethodImageGone, g, nil)
}

// HostImages lists the image records of host.
func (c ConductorClient) HostImages(ctx context.Context, host string) ([]HostImage, error) {
	var r HostImagesReply
	if err := c.call(ctx, MethodHostImages, HostContainersRequest{Host: host}, &r); err != nil {
		return nil, err
	}
	return r.Images, nil
}
