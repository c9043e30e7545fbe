package model

import "time"

// Capsule restart policies of the template and the Docker policy each maps
// to (Zun: Always → always, OnFailure → on-failure, Never → no).
var CapsuleRestartPolicies = map[string]string{"Always": "always", "OnFailure": "on-failure", "Never": "no"}

// Capsule is a pod-like group of containers placed on one host: a sandbox
// holding the network, IPC and PID namespaces, init containers run one
// after another to completion, then the app containers. Members are kept
// in the capsule record (they are not rows of the containers table, so
// they never appear in the container list, as in Zun).
type Capsule struct {
	ID        int64  `json:"id"`
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`

	CapsuleVersion   string            `json:"capsule_version,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
	AvailabilityZone string            `json:"availability_zone,omitempty"`
	// RestartPolicy is the template's value: Always, OnFailure or Never.
	RestartPolicy string `json:"restart_policy"`
	// CPU and Memory (MiB) are what the capsule claims: the sum over the
	// app containers, or the largest init container if that is more.
	CPU    float64 `json:"cpu"`
	Memory int64   `json:"memory"`

	Volumes        []CapsuleVolume `json:"volumes,omitempty"`
	InitContainers []Member        `json:"init_containers,omitempty"`
	Containers     []Member        `json:"containers"`

	// Networks are the sandbox's ports (the members share its network
	// namespace), created and bound by the control plane as a
	// container's.
	Networks []PortAttachment `json:"networks,omitempty"`

	Host         string `json:"host,omitempty"`
	SandboxID    string `json:"sandbox_id,omitempty"` // engine ID of the sandbox
	Status       string `json:"status"`
	StatusReason string `json:"status_reason,omitempty"`
	TaskState    string `json:"task_state,omitempty"`
	// InitDone records that every init container completed, so a resumed
	// start does not run them again.
	InitDone  bool      `json:"init_done,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// SandboxName is the engine name of the capsule's sandbox container.
func (c *Capsule) SandboxName() string { return "zun-" + c.UUID }

// CapsuleVolume is a volume of the template. Until a volume service
// exists, a volume is a local named volume of the engine: a new one (Size
// set) is created by the capsule and removed with it when AutoRemove; an
// existing one (Existing set) must belong to the same project.
type CapsuleVolume struct {
	Name       string `json:"name"`
	Size       int    `json:"size,omitempty"` // GiB, recorded (local volumes have no size limit)
	Existing   string `json:"existing,omitempty"`
	AutoRemove bool   `json:"auto_remove,omitempty"`
}

// VolumeMount mounts a capsule volume into a member.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mount_path"`
	ReadOnly  bool   `json:"read_only,omitempty"`
}

// CapsulePort is a port of a member (published by the sandbox).
type CapsulePort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int    `json:"container_port"`
	HostPort      int    `json:"host_port,omitempty"`
	Protocol      string `json:"protocol"` // tcp or udp
}

// Member is a container of a capsule. Container holds what any container
// has (UUID, Name, Image, Command, Environment, CPU, Memory, Status...);
// Role is "init" or "app".
type Member struct {
	Container
	Role         string        `json:"role"`
	VolumeMounts []VolumeMount `json:"volume_mounts,omitempty"`
	CapsulePorts []CapsulePort `json:"capsule_ports,omitempty"`
	ExitCode     int           `json:"exit_code,omitempty"`
}

// Member roles.
const (
	RoleInit = "init"
	RoleApp  = "app"
)

// Members returns pointers to the init containers then the app containers.
func (c *Capsule) Members() []*Member {
	out := make([]*Member, 0, len(c.InitContainers)+len(c.Containers))
	for i := range c.InitContainers {
		out = append(out, &c.InitContainers[i])
	}
	for i := range c.Containers {
		out = append(out, &c.Containers[i])
	}
	return out
}
