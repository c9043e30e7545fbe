package api

// Capsule is the capsule view of microversion 1.32 and later
// (v1/views/capsules_view.py). Host is admin-only (capsule:get:host).
type Capsule struct {
	UUID           string               `json:"uuid"`
	Links          []Link               `json:"links"`
	UserID         string               `json:"user_id"`
	ProjectID      string               `json:"project_id"`
	CreatedAt      *Time                `json:"created_at"`
	UpdatedAt      *Time                `json:"updated_at"`
	Addresses      map[string][]Address `json:"addresses"`
	Status         string               `json:"status"`
	StatusReason   *string              `json:"status_reason"`
	RestartPolicy  *RestartPolicy       `json:"restart_policy"`
	Name           string               `json:"name"`
	Labels         map[string]string    `json:"labels"`
	Annotations    map[string]string    `json:"annotations"`
	Memory         string               `json:"memory"`
	CPU            float64              `json:"cpu"`
	InitContainers []Container          `json:"init_containers"`
	Containers     []Container          `json:"containers"`
	Host           *string              `json:"host,omitempty"`
}

// LegacyCapsule is the capsule view before 1.32: name and labels are
// meta_name and meta_labels, restart_policy is the policy's name, and
// Zun's placeholder keys are present.
type LegacyCapsule struct {
	UUID                string               `json:"uuid"`
	Links               []Link               `json:"links"`
	UserID              string               `json:"user_id"`
	ProjectID           string               `json:"project_id"`
	CreatedAt           *Time                `json:"created_at"`
	UpdatedAt           *Time                `json:"updated_at"`
	Addresses           map[string][]Address `json:"addresses"`
	Status              string               `json:"status"`
	StatusReason        *string              `json:"status_reason"`
	RestartPolicy       string               `json:"restart_policy"`
	MetaName            string               `json:"meta_name"`
	MetaLabels          map[string]string    `json:"meta_labels"`
	Annotations         map[string]string    `json:"annotations"`
	Memory              string               `json:"memory"`
	CPU                 float64              `json:"cpu"`
	InitContainers      []Container          `json:"init_containers"`
	Containers          []Container          `json:"containers"`
	Host                *string              `json:"host,omitempty"`
	VolumesInfo         map[string]any       `json:"volumes_info"`
	ContainersUUIDs     []string             `json:"containers_uuids"`
	InitContainersUUIDs []string             `json:"init_containers_uuids"`
	CapsuleVersion      string               `json:"capsule_version"`
}

// CapsuleList is the body of GET /v1/capsules at 1.32 and later.
type CapsuleList struct {
	Capsules []Capsule `json:"capsules"`
	Next     string    `json:"next,omitempty"`
}

// LegacyCapsuleList is the body of GET /v1/capsules before 1.32.
type LegacyCapsuleList struct {
	Capsules []LegacyCapsule `json:"capsules"`
	Next     string          `json:"next,omitempty"`
}

// CapsuleCreate is the body of POST /v1/capsules; the server also accepts
// the template as a JSON string.
type CapsuleCreate struct {
	Template map[string]any `json:"template"`
}
