package api

// Image is an image on one compute host (GET /v1/images). Zun's shape;
// Status is an addition: pulling, ready or error.
type Image struct {
	UUID      string `json:"uuid"`
	Links     []Link `json:"links"`
	ImageID   string `json:"image_id"`
	Repo      string `json:"repo"`
	Tag       string `json:"tag"`
	Size      int64  `json:"size"`
	ProjectID string `json:"project_id"`
	Host      string `json:"host"`
	Status    string `json:"status,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// ImageList is GET /v1/images.
type ImageList struct {
	Images []Image `json:"images"`
	Next   string  `json:"next,omitempty"`
}

// ImagePull is POST /v1/images: pull repo:tag to host (202, asynchronous).
// A UUID-like repo, or image_driver "glance", loads from the image
// service.
type ImagePull struct {
	Repo            string `json:"repo"`
	Host            string `json:"host"`
	Tag             string `json:"tag,omitempty"`
	ImagePullPolicy string `json:"image_pull_policy,omitempty"`
	ImageDriver     string `json:"image_driver,omitempty"`
	Registry        string `json:"registry,omitempty"`
}

// ImageSearchResult is one entry of GET /v1/images/{image}/search.
type ImageSearchResult struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Tags     []string          `json:"tags"`
	Status   string            `json:"status"`
	Size     int64             `json:"size"`
	Metadata map[string]string `json:"metadata"`
}

// CommitResult is the answer of POST /v1/containers/{id}/commit: the image
// service's image receiving the commit.
type CommitResult struct {
	UUID string `json:"uuid"`
}
