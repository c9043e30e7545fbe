package model

import "time"

// RestartPolicy is Docker's restart policy.
type RestartPolicy struct {
	Name              string `json:"name"`
	MaximumRetryCount int    `json:"max_retry"`
}

// Healthcheck is a container health check; durations in seconds.
type Healthcheck struct {
	Test     string `json:"test"`
	Interval int    `json:"interval"`
	Retries  int    `json:"retries"`
	Timeout  int    `json:"timeout"`
}

// Container is a container record. Identity (UUID, ProjectID, UserID) is
// immutable; Host is set once by the scheduler's claim.
type Container struct {
	ID        int64  `json:"id"`
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`

	Image           string `json:"image"`
	ImageDriver     string `json:"image_driver,omitempty"`
	ImagePullPolicy string `json:"image_pull_policy,omitempty"`
	// RegistryID is the registry whose credentials pull the image (1.31).
	RegistryID    string            `json:"registry_id,omitempty"`
	Command       []string          `json:"command,omitempty"`
	Entrypoint    []string          `json:"entrypoint,omitempty"`
	CPU           float64           `json:"cpu"`
	Memory        int64             `json:"memory"` // MiB
	Disk          int64             `json:"disk"`   // GiB, 0 = none
	CPUPolicy     string            `json:"cpu_policy,omitempty"`
	Workdir       string            `json:"workdir,omitempty"`
	Environment   map[string]string `json:"environment,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	Hostname      string            `json:"hostname,omitempty"`
	RestartPolicy *RestartPolicy    `json:"restart_policy,omitempty"`
	Interactive   bool              `json:"interactive"`
	TTY           bool              `json:"tty"`
	AutoRemove    bool              `json:"auto_remove"`
	AutoHeal      bool              `json:"auto_heal"`
	Privileged    bool              `json:"privileged"`
	Healthcheck   *Healthcheck      `json:"healthcheck,omitempty"`
	Runtime       string            `json:"runtime,omitempty"`
	// AvailabilityZone and Hints are scheduling inputs; RequestedHost is the
	// admin's forced destination (1.39).
	AvailabilityZone string            `json:"availability_zone,omitempty"`
	Hints            map[string]string `json:"hints,omitempty"`
	RequestedHost    string            `json:"requested_host,omitempty"`
	// Mounts are the volumes and injected files of the container (1.11).
	Mounts []Mount `json:"mounts,omitempty"`
	// Networks are the container's ports, in the order of the request's
	// nets (the first is the engine's primary network); SecurityGroups are
	// group IDs; ExposedPorts are "80/tcp" keys (1.24). Set by the API
	// before scheduling (internal/model/network.go).
	Networks       []PortAttachment `json:"networks,omitempty"`
	SecurityGroups []string         `json:"security_groups,omitempty"`
	ExposedPorts   []string         `json:"exposed_ports,omitempty"`
	// Run asks the compute agent to start the container after creating it.
	Run bool `json:"run"`
	// IdempotencyKey is the create's Idempotency-Key header, unique per
	// project while the container exists; RequestHash identifies the
	// request it came with (a retry must send the same one).
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	RequestHash    string `json:"request_hash,omitempty"`

	Host         string    `json:"host,omitempty"`
	ContainerID  string    `json:"container_id,omitempty"` // Docker ID
	Status       string    `json:"status"`
	StatusReason string    `json:"status_reason,omitempty"`
	StatusDetail string    `json:"status_detail,omitempty"`
	TaskState    string    `json:"task_state,omitempty"`
	Ports        []int     `json:"ports,omitempty"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	CreatedAt    time.Time `json:"created_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at,omitzero"`
}

// DockerName is the name of the Docker container of c.
func (c *Container) DockerName() string { return "zun-" + c.UUID }

// Action is a recorded container action (container_actions).
type Action struct {
	ID            int64     `json:"id"`
	ContainerUUID string    `json:"container_uuid"`
	Action        string    `json:"action"`
	RequestID     string    `json:"request_id"`
	UserID        string    `json:"user_id"`
	ProjectID     string    `json:"project_id"`
	StartTime     time.Time `json:"start_time"`
	FinishTime    time.Time `json:"finish_time,omitzero"`
	Message       string    `json:"message,omitempty"`
	Events        []Event   `json:"events,omitempty"`
}

// Event is one step of an action, recorded by the compute agent.
type Event struct {
	Event      string    `json:"event"`
	StartTime  time.Time `json:"start_time"`
	FinishTime time.Time `json:"finish_time,omitzero"`
	Result     string    `json:"result,omitempty"` // "Success" or "Error"
	Traceback  string    `json:"traceback,omitempty"`
}
