package fake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/container/docker/zunstate"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Options configure a fake host.
type Options struct {
	CPUs               int   // default 8
	MemTotal           int64 // MiB, default 16384
	DiskTotal          int64 // GiB, default 100
	DiskQuotaSupported bool
	// CreateDelay and StartDelay stretch Create and Start (honouring ctx).
	CreateDelay, StartDelay time.Duration
	// FailCreate, when it returns an error, makes Create fail with it.
	FailCreate func(*model.Container) error
	Runtimes   []string          // default ["runc"]
	Labels     map[string]string // host labels
	// Exec produces the result of an exec; default: the command echoed,
	// exit code 0.
	Exec func(c *model.Container, cmd []string) (container.ExecResult, error)
	// Now is the clock; default time.Now.
	Now func() time.Time
}

type entry struct {
	c     model.Container // copy of the record at create (limits updated)
	id    string
	eng   zunstate.Engine
	logs  []logLine
	procs string
	con   *console
}

type logLine struct {
	at   time.Time
	text string
}

// Driver is the in-memory driver; safe for concurrent use.
type Driver struct {
	opts Options

	mu     sync.Mutex
	byID   map[string]*entry
	byName map[string]string // docker name -> id
	subs   map[*subscriber]struct{}
}

var _ container.Driver = (*Driver)(nil)

// New returns an empty fake host.
func New(opts Options) *Driver {
	if opts.CPUs <= 0 {
		opts.CPUs = 8
	}
	if opts.MemTotal <= 0 {
		opts.MemTotal = 16384
	}
	if opts.DiskTotal <= 0 {
		opts.DiskTotal = 100
	}
	if len(opts.Runtimes) == 0 {
		opts.Runtimes = []string{"runc"}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Driver{
		opts:   opts,
		byID:   map[string]*entry{},
		byName: map[string]string{},
		subs:   map[*subscriber]struct{}{},
	}
}

// lookup finds c by container ID, else by name. Caller holds d.mu.
func (d *Driver) lookup(c *model.Container) (*entry, error) {
	if e, ok := d.byID[c.ContainerID]; ok {
		return e, nil
	}
	if id, ok := d.byName[c.DockerName()]; ok {
		return d.byID[id], nil
	}
	return nil, fmt.Errorf("no such container %s: %w", c.DockerName(), errdefs.ErrNotFound)
}

func (d *Driver) remove(e *entry) {
	delete(d.byID, e.id)
	delete(d.byName, e.c.DockerName())
	d.publish(e, "destroy")
}

func sleep(ctx context.Context, delay time.Duration) error {
	if delay <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("fake driver: %w", ctx.Err())
	}
}

func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func missingImage(image string) bool { return strings.HasPrefix(image, "missing/") }

// EnsureImage accepts any image but "missing/..." (errdefs.ErrNotFound).
func (d *Driver) EnsureImage(ctx context.Context, image, policy string) error {
	switch strings.ToLower(policy) {
	case "", "always", "ifnotpresent", "never":
	default:
		return fmt.Errorf("invalid image pull policy %q: %w", policy, errdefs.ErrInvalidArgument)
	}
	if image == "" || strings.ContainsAny(image, " \t\n") {
		return fmt.Errorf("invalid image reference %q: %w", image, errdefs.ErrInvalidArgument)
	}
	if missingImage(image) {
		return fmt.Errorf("image %s: %w", image, errdefs.ErrNotFound)
	}
	return ctx.Err()
}

// Create records c as Created. Same name and zun.uuid returns the existing
// ID; a name held by another record is errdefs.ErrAlreadyExists.
func (d *Driver) Create(ctx context.Context, c *model.Container) (string, error) {
	if c.UUID == "" || c.Image == "" {
		return "", fmt.Errorf("container needs a uuid and an image: %w", errdefs.ErrInvalidArgument)
	}
	if d.opts.FailCreate != nil {
		if err := d.opts.FailCreate(c); err != nil {
			return "", err
		}
	}
	if missingImage(c.Image) {
		return "", fmt.Errorf("no such image %s: %w", c.Image, errdefs.ErrNotFound)
	}
	if err := sleep(ctx, d.opts.CreateDelay); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.byName[c.DockerName()]; ok {
		if d.byID[id].c.UUID == c.UUID {
			return id, nil
		}
		return "", fmt.Errorf("container name %s is taken: %w", c.DockerName(), errdefs.ErrAlreadyExists)
	}
	e := &entry{c: *c, id: newID(), eng: zunstate.Engine{Status: "created"}}
	e.c.ContainerID = e.id
	e.c.Labels = cloneLabels(c)
	e.procs = strings.Join(slices.Concat(c.Entrypoint, c.Command), " ")
	if e.procs == "" {
		e.procs = "/bin/sh"
	}
	d.byID[e.id] = e
	d.byName[c.DockerName()] = e.id
	d.publish(e, "create")
	return e.id, nil
}

func cloneLabels(c *model.Container) map[string]string {
	l := make(map[string]string, len(c.Labels)+3)
	for k, v := range c.Labels {
		l[k] = v
	}
	l[container.LabelManaged] = "true"
	l[container.LabelUUID] = c.UUID
	l[container.LabelProjectID] = c.ProjectID
	return l
}

// Inspect returns c's state.
func (d *Driver) Inspect(_ context.Context, c *model.Container) (container.State, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.lookup(c)
	if err != nil {
		return container.State{}, err
	}
	return d.state(e), nil
}

// List returns every container, sorted by UUID.
func (d *Driver) List(_ context.Context) ([]container.State, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]container.State, 0, len(d.byID))
	for _, e := range d.byID {
		out = append(out, d.state(e))
	}
	slices.SortFunc(out, func(a, b container.State) int { return strings.Compare(a.UUID, b.UUID) })
	return out, nil
}

func (d *Driver) state(e *entry) container.State {
	m := zunstate.Map(e.eng, d.opts.Now())
	hostname := e.c.Hostname
	if hostname == "" {
		hostname = e.id[:12]
	}
	return container.State{
		UUID:        e.c.UUID,
		Capsule:     e.c.Labels[container.LabelCapsule],
		ContainerID: e.id,
		Status:      m.Status,
		Detail:      m.Detail,
		Reason:      m.Reason,
		ExitCode:    e.eng.ExitCode,
		StartedAt:   e.eng.StartedAt,
		FinishedAt:  e.eng.FinishedAt,
		Hostname:    hostname,
	}
}

// HostInfo reports the configured inventory.
func (d *Driver) HostInfo(_ context.Context) (container.HostInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	labels := make(map[string]string, len(d.opts.Labels))
	for k, v := range d.opts.Labels {
		labels[k] = v
	}
	return container.HostInfo{
		CPUs:               d.opts.CPUs,
		MemTotal:           d.opts.MemTotal,
		DiskTotal:          d.opts.DiskTotal,
		DiskQuotaSupported: d.opts.DiskQuotaSupported,
		Architecture:       "x86_64",
		OSType:             "linux",
		OS:                 "Fake Linux",
		KernelVersion:      "6.0.0-fake",
		Labels:             labels,
		Runtimes:           slices.Clone(d.opts.Runtimes),
		TotalContainers:    len(d.byID),
	}, nil
}
