// Package container defines the container driver contract of zun-compute.
// docker/ implements it with the Docker Engine Go client; fake/ is an
// in-memory driver for scheduler and scale tests.
package container

import (
	"context"
	"io"
	"time"

	"github.com/openzun/zun/internal/model"
)

// Labels put on every Docker container Zun creates.
const (
	LabelManaged   = "zun.managed"
	LabelUUID      = "zun.uuid"
	LabelProjectID = "zun.project_id"
	LabelHost      = "zun.host"
)

// State is what the driver sees of a container.
type State struct {
	UUID string // from the zun.uuid label (or the zun-<uuid> name)
	// Capsule is the capsule uuid of a sandbox or member (zun.capsule),
	// empty for a container.
	Capsule     string
	ContainerID string
	// Status is a Zun status (api.StatusRunning, ...) mapped from Docker's
	// state per zun's rules; Detail is status_detail ("Up 3 mins").
	Status     string
	Detail     string
	Reason     string // error text when Docker reports one
	ExitCode   int
	Ports      []int // exposed by the image/config
	StartedAt  time.Time
	FinishedAt time.Time
	Hostname   string
}

// Event is a container state change seen on the engine.
type Event struct {
	UUID   string
	Action string // Docker's action: start, die, stop, pause, unpause, destroy, oom, health_status...
}

// HostInfo is the inventory the engine reports.
type HostInfo struct {
	CPUs               int
	MemTotal           int64 // MiB
	DiskTotal          int64 // GiB of the engine's data root filesystem
	DiskQuotaSupported bool
	Architecture       string
	OSType             string
	OS                 string
	KernelVersion      string
	Labels             map[string]string
	Runtimes           []string
	TotalContainers    int
}

// LogOptions select logs (GET .../logs).
type LogOptions struct {
	Stdout, Stderr bool
	Timestamps     bool
	Tail           string // number or "all"
	Since          string // unix seconds
}

// ExecResult is a finished non-interactive exec.
type ExecResult struct {
	Output   string
	ExitCode int
}

// Driver runs containers on one host. Methods address containers by
// model.Container (its ContainerID, else its DockerName). A container the
// engine does not have gives errdefs.ErrNotFound; an operation invalid in
// the engine's current state gives errdefs.ErrConflict.
type Driver interface {
	// EnsureImage makes image present per policy ("always", "ifnotpresent",
	// "never"; "" means Zun's default: always for :latest or no tag,
	// ifnotpresent otherwise). Missing image: errdefs.ErrNotFound.
	EnsureImage(ctx context.Context, image, policy string) error
	// Create creates (not starts) c's container named c.DockerName(),
	// labelled, with its limits and settings, and returns the engine's ID.
	// Creating a name that exists returns the existing container's ID when
	// its zun.uuid label matches (idempotent retry), else ErrAlreadyExists.
	Create(ctx context.Context, c *model.Container) (string, error)
	Start(ctx context.Context, c *model.Container) error
	Stop(ctx context.Context, c *model.Container, timeout time.Duration) error
	Restart(ctx context.Context, c *model.Container, timeout time.Duration) error
	Pause(ctx context.Context, c *model.Container) error
	Unpause(ctx context.Context, c *model.Container) error
	Kill(ctx context.Context, c *model.Container, signal string) error
	// Delete removes the container (force kills a running one). Missing is
	// not an error.
	Delete(ctx context.Context, c *model.Container, force bool) error
	Inspect(ctx context.Context, c *model.Container) (State, error)
	// List returns every Zun-managed container on the engine.
	List(ctx context.Context) ([]State, error)
	// Update changes cpu and memory limits of a live container.
	Update(ctx context.Context, c *model.Container, cpu float64, memoryMiB int64) error
	Logs(ctx context.Context, c *model.Container, o LogOptions) (string, error)
	Top(ctx context.Context, c *model.Container, psArgs string) (titles []string, procs [][]string, err error)
	// Stats returns Zun's stats map ("CPU %", "MEM USAGE(MiB)", ...).
	Stats(ctx context.Context, c *model.Container) (map[string]any, error)
	// Exec runs cmd to completion within timeout (ErrTimeout past it) and
	// caps the output at maxOutput bytes.
	Exec(ctx context.Context, c *model.Container, cmd []string, timeout time.Duration, maxOutput int) (ExecResult, error)
	// Events streams Zun containers' state changes until ctx ends; the
	// channel closes when the stream breaks (the caller reconnects).
	Events(ctx context.Context) (<-chan Event, error)
	HostInfo(ctx context.Context) (HostInfo, error)
	Consoler
	Archiver
}

// Stream is a live session on a process of a container: writes go to its
// stdin, reads return its output (raw terminal bytes with a TTY, stdout and
// stderr merged without one). Close ends the session, not the process.
type Stream interface {
	io.ReadWriteCloser
	// CloseWrite closes the process's stdin.
	CloseWrite() error
}

// Consoler opens interactive sessions. A container or exec that is not
// running gives errdefs.ErrConflict.
type Consoler interface {
	// Attach connects to c's main process.
	Attach(ctx context.Context, c *model.Container) (Stream, error)
	// ExecCreate prepares cmd in c (not started) and returns its exec id.
	ExecCreate(ctx context.Context, c *model.Container, cmd []string, tty, stdin bool) (string, error)
	// ExecStart starts exec execID of c, created with a TTY or not, and
	// connects to it. An exec of another container gives
	// errdefs.ErrNotFound.
	ExecStart(ctx context.Context, c *model.Container, execID string, tty bool) (Stream, error)
	// Resize sets the terminal size of c's main process.
	Resize(ctx context.Context, c *model.Container, height, width uint) error
	// ExecResize sets the terminal size of exec execID of c.
	ExecResize(ctx context.Context, c *model.Container, execID string, height, width uint) error
}

// PathStat describes the path read by CopyFrom (Zun's get_archive "stat").
type PathStat struct {
	Name       string    `json:"name"`
	Size       int64     `json:"size"`
	Mode       uint32    `json:"mode"`
	Mtime      time.Time `json:"mtime"`
	LinkTarget string    `json:"linkTarget"`
}

// Archiver copies files in and out of a container's filesystem; paths are
// resolved inside the container's root, never on the host.
type Archiver interface {
	// CopyFrom returns a tar archive of path, at most maxBytes long
	// (errdefs.ErrTooLarge beyond).
	CopyFrom(ctx context.Context, c *model.Container, path string, maxBytes int64) ([]byte, PathStat, error)
	// CopyTo extracts the tar archive into directory path. The caller has
	// validated the archive (package archive).
	CopyTo(ctx context.Context, c *model.Container, path string, tar io.Reader) error
}

// LogWriter is implemented by drivers that can stream logs (follow mode).
type LogWriter interface {
	StreamLogs(ctx context.Context, c *model.Container, o LogOptions, w io.Writer) error
}
