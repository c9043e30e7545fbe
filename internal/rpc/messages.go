package rpc

import (
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/model"
)

// Compute methods (subject zun.compute.<host>.<method>).
const (
	MethodCreate  = "create"
	MethodStart   = "start"
	MethodStop    = "stop"
	MethodReboot  = "reboot"
	MethodPause   = "pause"
	MethodUnpause = "unpause"
	MethodKill    = "kill"
	MethodDelete  = "delete"
	MethodRebuild = "rebuild"
	MethodLogs    = "logs"
	MethodTop     = "top"
	MethodStats   = "stats"
	MethodExec    = "exec"
	MethodUpdate  = "update"
	MethodShow    = "show"
	// Images (rpc/images.go).
	MethodImagePull   = "image_pull"
	MethodImageDelete = "image_delete"
	MethodCommit      = "commit"
)

// Conductor methods (subject zun.conductor.<method>).
const (
	MethodRegisterHost    = "register_host"
	MethodHeartbeat       = "heartbeat"
	MethodContainerUpdate = "container_update"
	MethodContainerSync   = "container_sync"
	MethodContainerGone   = "container_destroy"
	MethodHostContainers  = "host_containers"
	MethodActionEvent     = "action_event"
)

// ContainerRequest carries a container record and operation options.
type ContainerRequest struct {
	Container model.Container `json:"container"`
	RequestID string          `json:"request_id,omitempty"`
	Timeout   int             `json:"timeout,omitempty"` // seconds
	Signal    string          `json:"signal,omitempty"`
	Force     bool            `json:"force,omitempty"`
	Stop      bool            `json:"stop,omitempty"`
	// Rebuild: new image and driver (empty keeps the current), and
	// whether to start the rebuilt container.
	Image       string `json:"image,omitempty"`
	ImageDriver string `json:"image_driver,omitempty"`
	Start       bool   `json:"start,omitempty"`
	// Logs.
	Logs *container.LogOptions `json:"logs,omitempty"`
	// Top.
	PsArgs string `json:"ps_args,omitempty"`
	// Exec.
	Command []string `json:"command,omitempty"`
	// Update.
	CPU    float64 `json:"cpu,omitempty"`
	Memory int64   `json:"memory,omitempty"`
	// Attach, interactive exec, resize.
	Console *ConsoleRequest `json:"console,omitempty"`
	// get_archive, put_archive.
	Archive *ArchiveRequest `json:"archive,omitempty"`
	// VolumeID names the volume of MethodVolumeDelete.
	VolumeID string `json:"volume_id,omitempty"`
	// Create, rebuild and image pull: the registry credential of this
	// pull only (decrypted by the API, never stored by the agent).
	RegistryAuth *container.RegistryAuth `json:"registry_auth,omitempty"`
	// Image pull, image delete and commit.
	ImageOp *ImageOp `json:"image_op,omitempty"`
	// Port is the port of MethodNetworkAttach and MethodNetworkDetach.
	Port *model.PortAttachment `json:"port,omitempty"`
}

// LogsReply is the answer of MethodLogs.
type LogsReply struct {
	Logs string `json:"logs"`
}

// TopReply is the answer of MethodTop.
type TopReply struct {
	Titles    []string   `json:"titles"`
	Processes [][]string `json:"processes"`
}

// ExecReply is the answer of MethodExec.
type ExecReply struct {
	Output   string `json:"output"`
	ExitCode int    `json:"exit_code"`
}

// HostReport is what an agent registers.
type HostReport struct {
	Node             model.ComputeNode `json:"node"`
	Binary           string            `json:"binary"`
	AvailabilityZone string            `json:"availability_zone"`
	TotalContainers  int               `json:"total_containers"`
}

// HeartbeatRequest is an agent's heartbeat.
type HeartbeatRequest struct {
	Host             string `json:"host"`
	Binary           string `json:"binary"`
	AvailabilityZone string `json:"availability_zone"`
}

// ContainerUpdate is a state change decided by an operation of the agent
// (create, start, stop...). Nil pointers leave fields alone.
type ContainerUpdate struct {
	UUID         string    `json:"uuid"`
	Host         string    `json:"host"` // the reporting agent; must own the container
	Status       *string   `json:"status,omitempty"`
	StatusReason *string   `json:"status_reason,omitempty"`
	StatusDetail *string   `json:"status_detail,omitempty"`
	TaskState    *string   `json:"task_state,omitempty"`
	ContainerID  *string   `json:"container_id,omitempty"`
	Ports        []int     `json:"ports,omitempty"`
	Image        *string   `json:"image,omitempty"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	CPU          *float64  `json:"cpu,omitempty"`
	Memory       *int64    `json:"memory,omitempty"`
	// ExpectTask, if set, applies the update only while the container's
	// task_state still equals it (an operation finishing its own task).
	ExpectTask string `json:"expect_task,omitempty"`
}

// ContainerSync reports what the engine shows of a container (events and
// periodic sync). It is applied only when no operation is in progress.
type ContainerSync struct {
	UUID  string          `json:"uuid"`
	Host  string          `json:"host"`
	State container.State `json:"state"`
}

// ContainerGone tells the conductor the agent finished deleting a container.
type ContainerGone struct {
	UUID string `json:"uuid"`
	Host string `json:"host"`
}

// HostContainersRequest asks for the containers placed on a host.
type HostContainersRequest struct {
	Host string `json:"host"`
}

// HostContainersReply lists them.
type HostContainersReply struct {
	Containers []model.Container `json:"containers"`
}

// ActionEventRequest records an event of a container action.
type ActionEventRequest struct {
	ContainerUUID string      `json:"container_uuid"`
	RequestID     string      `json:"request_id"`
	Event         model.Event `json:"event"`
	// Finish closes the action with Message (set when the whole operation
	// is over).
	Finish  bool   `json:"finish,omitempty"`
	Message string `json:"message,omitempty"`
}
