package api

import "time"

// Container statuses (zun/common/consts.py).
const (
	StatusCreating   = "Creating"
	StatusCreated    = "Created"
	StatusRunning    = "Running"
	StatusStopped    = "Stopped"
	StatusPaused     = "Paused"
	StatusRestarting = "Restarting"
	StatusRebuilding = "Rebuilding"
	StatusDeleting   = "Deleting"
	StatusDeleted    = "Deleted"
	StatusDead       = "Dead"
	StatusError      = "Error"
	StatusUnknown    = "Unknown"
)

// Task states (zun/common/consts.py).
const (
	TaskImagePulling        = "image_pulling"
	TaskContainerCreating   = "container_creating"
	TaskContainerStarting   = "container_starting"
	TaskContainerDeleting   = "container_deleting"
	TaskContainerStopping   = "container_stopping"
	TaskContainerRebooting  = "container_rebooting"
	TaskContainerPausing    = "container_pausing"
	TaskContainerUnpausing  = "container_unpausing"
	TaskContainerKilling    = "container_killing"
	TaskContainerRebuilding = "container_rebuilding"
	TaskNetworkAttaching    = "network_attaching"
	TaskNetworkDetaching    = "network_detaching"
	TaskSGAdding            = "sg_adding"
	TaskSGRemoving          = "sg_removing"
)

// RestartPolicy is Docker's restart policy. MaximumRetryCount is a string on
// the wire in responses, as Zun sends it; requests accept a number or string.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount string `json:"MaximumRetryCount"`
}

// Healthcheck as returned in the container view (seconds).
type Healthcheck struct {
	Test     string `json:"test"`
	Interval int    `json:"interval"`
	Retries  int    `json:"retries"`
	Timeout  int    `json:"timeout"`
}

// Link is a resource link.
type Link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

// Address is one fixed IP of a container on a network.
type Address struct {
	Addr             string `json:"addr"`
	Version          int    `json:"version"`
	Port             string `json:"port"`
	SubnetID         string `json:"subnet_id"`
	PreserveOnDelete bool   `json:"preserve_on_delete"`
}

// Container is the container view (v1/views/containers_view.py). Fields that
// policy hides from the caller (host, runtime, privileged,
// image_pull_policy) are omitted from the JSON: they are pointers.
type Container struct {
	UUID             string               `json:"uuid"`
	Links            []Link               `json:"links"`
	UserID           string               `json:"user_id"`
	ProjectID        string               `json:"project_id"`
	Name             string               `json:"name"`
	Image            string               `json:"image"`
	Command          []string             `json:"command"`
	Entrypoint       []string             `json:"entrypoint"`
	Status           string               `json:"status"`
	StatusReason     *string              `json:"status_reason"`
	StatusDetail     *string              `json:"status_detail"`
	TaskState        *string              `json:"task_state"`
	CPU              float64              `json:"cpu"`
	Memory           string               `json:"memory"`
	Disk             int                  `json:"disk"`
	CPUPolicy        string               `json:"cpu_policy"`
	Environment      map[string]string    `json:"environment"`
	Workdir          *string              `json:"workdir"`
	Ports            []int                `json:"ports"`
	Hostname         *string              `json:"hostname"`
	Labels           map[string]string    `json:"labels"`
	Addresses        map[string][]Address `json:"addresses"`
	ImagePullPolicy  *string              `json:"image_pull_policy,omitempty"`
	Host             *string              `json:"host,omitempty"`
	Runtime          *string              `json:"runtime,omitempty"`
	Privileged       *bool                `json:"privileged,omitempty"`
	RestartPolicy    *RestartPolicy       `json:"restart_policy"`
	Interactive      bool                 `json:"interactive"`
	TTY              bool                 `json:"tty"`
	ImageDriver      *string              `json:"image_driver"`
	SecurityGroups   []string             `json:"security_groups"`
	AutoRemove       bool                 `json:"auto_remove"`
	AutoHeal         bool                 `json:"auto_heal"`
	Healthcheck      *Healthcheck         `json:"healthcheck"`
	RegistryID       *string              `json:"registry_id"`
	AvailabilityZone *string              `json:"availability_zone,omitempty"`
	CreatedAt        *Time                `json:"created_at"`
	UpdatedAt        *Time                `json:"updated_at"`
}

// ContainerList is the body of GET /v1/containers.
type ContainerList struct {
	Containers []Container `json:"containers"`
	Next       string      `json:"next,omitempty"`
}

// ContainerCreate is the body of POST /v1/containers as our client sends it
// (latest microversion). The server validates the raw JSON itself, so older
// shapes (command as a string before 1.20, memory as a string) are accepted.
type ContainerCreate struct {
	Name             string             `json:"name,omitempty"`
	Image            string             `json:"image"`
	Command          []string           `json:"command,omitempty"`
	Entrypoint       []string           `json:"entrypoint,omitempty"`
	CPU              float64            `json:"cpu,omitempty"`
	Memory           string             `json:"memory,omitempty"`
	Disk             int                `json:"disk,omitempty"`
	Workdir          string             `json:"workdir,omitempty"`
	Environment      map[string]string  `json:"environment,omitempty"`
	Labels           map[string]string  `json:"labels,omitempty"`
	ImagePullPolicy  string             `json:"image_pull_policy,omitempty"`
	ImageDriver      string             `json:"image_driver,omitempty"`
	Registry         string             `json:"registry,omitempty"` // Since: 1.31 (UUID or name)
	RestartPolicy    *CreateRestart     `json:"restart_policy,omitempty"`
	Interactive      bool               `json:"interactive,omitempty"`
	TTY              bool               `json:"tty,omitempty"`
	Runtime          string             `json:"runtime,omitempty"`
	Hostname         string             `json:"hostname,omitempty"`
	AutoRemove       bool               `json:"auto_remove,omitempty"`
	AutoHeal         bool               `json:"auto_heal,omitempty"`
	Privileged       bool               `json:"privileged,omitempty"`
	Healthcheck      *CreateHealthcheck `json:"healthcheck,omitempty"`
	AvailabilityZone string             `json:"availability_zone,omitempty"`
	Hints            map[string]string  `json:"hints,omitempty"`
	Host             string             `json:"host,omitempty"`
	Mounts           []Mount            `json:"mounts,omitempty"`
	// Nets are the networks or ports to attach (Since: 1.2); none: the
	// project's default network.
	Nets []CreateNet `json:"nets,omitempty"`
	// SecurityGroups are group names or IDs (Since: 1.1); exclusive with
	// ExposedPorts.
	SecurityGroups []string `json:"security_groups,omitempty"`
	// ExposedPorts are {"80/tcp": {}} (Since: 1.24): a group zun-<uuid>
	// lets them in.
	ExposedPorts map[string]struct{} `json:"exposed_ports,omitempty"`
}

// CreateNet is one network of a create: exactly one of Network (name or
// ID) and Port (ID), with optional fixed addresses on the network.
type CreateNet struct {
	Network   string `json:"network,omitempty"`
	Port      string `json:"port,omitempty"`
	V4FixedIP string `json:"v4-fixed-ip,omitempty"`
	V6FixedIP string `json:"v6-fixed-ip,omitempty"`
}

// CreateRestart is the restart policy of a create request.
type CreateRestart struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount,omitempty"`
}

// CreateHealthcheck is the health check of a create request (seconds).
type CreateHealthcheck struct {
	Cmd      string `json:"cmd,omitempty"`
	Interval int    `json:"interval,omitempty"`
	Retries  int    `json:"retries,omitempty"`
	Timeout  int    `json:"timeout,omitempty"`
}

// ContainerUpdate is the body of PATCH /v1/containers/{id}.
type ContainerUpdate struct {
	CPU      *float64 `json:"cpu,omitempty"`
	Memory   *string  `json:"memory,omitempty"`
	Name     *string  `json:"name,omitempty"`
	AutoHeal *bool    `json:"auto_heal,omitempty"`
}

// ExecResult is the answer of POST .../execute.
type ExecResult struct {
	Output   *string `json:"output"`
	ExitCode *int    `json:"exit_code"`
	ExecID   *string `json:"exec_id"`
	ProxyURL *string `json:"proxy_url"`
}

// TopResult is the answer of GET .../top.
type TopResult struct {
	Titles    []string   `json:"Titles"`
	Processes [][]string `json:"Processes"`
}

// ContainerAction is one entry of GET .../container_actions.
type ContainerAction struct {
	Action        string        `json:"action"`
	ContainerUUID string        `json:"container_uuid"`
	RequestID     string        `json:"request_id"`
	UserID        string        `json:"user_id"`
	ProjectID     string        `json:"project_id"`
	StartTime     *Time         `json:"start_time"`
	FinishTime    *Time         `json:"finish_time,omitempty"`
	Message       *string       `json:"message"`
	Events        []ActionEvent `json:"events,omitempty"`
}

// ActionEvent is an event of a container action.
type ActionEvent struct {
	Event      string  `json:"event"`
	StartTime  *Time   `json:"start_time"`
	FinishTime *Time   `json:"finish_time"`
	Result     *string `json:"result"`
	Traceback  *string `json:"traceback"`
}

// ContainerActionList is the body of GET .../container_actions.
type ContainerActionList struct {
	ContainerActions []ContainerAction `json:"containerActions"`
}

// Time marshals as OpenStack does: "2006-01-02T15:04:05.000000+00:00".
type Time struct{ time.Time }

// TimeLayout is the timestamp layout of the API.
const TimeLayout = "2006-01-02T15:04:05.000000+00:00"

// NewTime returns nil for the zero time.
func NewTime(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	return &Time{t.UTC()}
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler; it accepts RFC 3339 as well.
func (t *Time) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 {
		s = s[1 : len(s)-1]
	}
	for _, l := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05.000000", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return &Error{Status: 400, Title: "bad time", Detail: "cannot parse time " + s}
}
