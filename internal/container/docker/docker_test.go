package docker

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/google/uuid"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/testutil/needs"
)

const (
	testImage   = "busybox:1.35"
	testRunKey  = "zun.test.run"
	dockerSock  = "/var/run/docker.sock"
	waitTimeout = 20 * time.Second
)

// requireDocker needs the machine's Docker engine (needs.Docker).
func requireDocker(t *testing.T) { t.Helper(); needs.Docker(t) }

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newTestDriver connects to the local engine and removes, at cleanup,
// every container the test created (all carry the test's run label).
func newTestDriver(t *testing.T) (*Driver, string) {
	t.Helper()
	requireDocker(t)
	logger := slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := New(t.Context(), Config{Host: "unix://" + dockerSock, Labels: map[string]string{"zone": "test"}}, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	run := uuid.NewString()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
			All: true, Filters: client.Filters{}.Add("label", testRunKey+"="+run),
		})
		if err != nil {
			t.Errorf("cleanup list: %v", err)
		}
		for _, c := range res.Items {
			if _, err := d.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
				t.Errorf("cleanup remove %s: %v", c.ID, err)
			}
		}
		_ = d.Close()
	})
	return d, run
}

// newRecord is a container record running a shell that logs a tick each
// second, exits 0 on SIGTERM and echoes SIGUSR1.
func newRecord(run string) *model.Container {
	return &model.Container{
		UUID:        uuid.NewString(),
		Name:        "test",
		ProjectID:   "project-1",
		Image:       testImage,
		Command:     []string{"sh", "-c", "trap 'exit 0' TERM; trap 'echo usr1' USR1; while true; do echo tick; sleep 0.2; done"},
		CPU:         0.5,
		Memory:      64,
		Environment: map[string]string{"GREETING": "hello"},
		Labels:      map[string]string{testRunKey: run, container.LabelManaged: "forged"},
		Healthcheck: &model.Healthcheck{Test: "true", Interval: 1, Retries: 3, Timeout: 2},
	}
}

func mustState(t *testing.T, d *Driver, c *model.Container, want string) container.State {
	t.Helper()
	st, err := d.Inspect(t.Context(), c)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if st.Status != want {
		t.Fatalf("status = %s (%s), want %s", st.Status, st.Detail, want)
	}
	return st
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLifecycle(t *testing.T) {
	d, run := newTestDriver(t)
	ctx := t.Context()
	if err := d.EnsureImage(ctx, testImage, PullIfNotPresent); err != nil {
		t.Fatalf("EnsureImage: %v", err)
	}

	evctx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	evs, err := d.Events(evctx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	evDone := make(chan struct{})
	c := newRecord(run)
	go func() {
		defer close(evDone)
		for ev := range evs {
			if ev.UUID == c.UUID {
				mu.Lock()
				seen[ev.Action] = true
				mu.Unlock()
			}
		}
	}()

	id, err := d.Create(ctx, c)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	c.ContainerID = id
	again, err := d.Create(ctx, c)
	if err != nil || again != id {
		t.Fatalf("idempotent Create = %q, %v; want %q", again, err, id)
	}
	checkSandbox(t, d, id, c)

	st := mustState(t, d, c, api.StatusCreated)
	if st.UUID != c.UUID || st.Detail != "Created" || st.ContainerID != id {
		t.Fatalf("created state = %+v", st)
	}

	if err := d.Start(ctx, c); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := d.Start(ctx, c); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	st = mustState(t, d, c, api.StatusRunning)
	if !strings.HasPrefix(st.Detail, "Up ") || st.StartedAt.IsZero() {
		t.Fatalf("running state = %+v", st)
	}

	titles, procs, err := d.Top(ctx, c, "")
	if err != nil || !slices.Contains(titles, "PID") || len(procs) == 0 {
		t.Fatalf("Top = %v, %v, %v", titles, procs, err)
	}
	if _, _, err := d.Top(ctx, c, "-o pid,comm"); err != nil {
		t.Fatalf("Top with args: %v", err)
	}

	stats, err := d.Stats(ctx, c)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	for _, k := range []string{StatContainer, StatCPUPercent, StatMemUsage, StatMemLimit, StatMemPercent, StatBlockIO, StatNetIO} {
		if _, ok := stats[k]; !ok {
			t.Errorf("stats lacks %q: %v", k, stats)
		}
	}
	if lim := stats[StatMemLimit].(float64); lim != 64 {
		t.Errorf("MEM LIMIT = %v, want 64", lim)
	}
	if stats[StatContainer] != "test" {
		t.Errorf("CONTAINER = %v", stats[StatContainer])
	}

	eventually(t, "logs", func() bool {
		out, err := d.Logs(ctx, c, container.LogOptions{})
		return err == nil && strings.Count(out, "tick") >= 2
	})
	out, err := d.Logs(ctx, c, container.LogOptions{Stdout: true, Tail: "1", Timestamps: true})
	if err != nil || strings.Count(out, "\n") != 1 || !strings.Contains(out, "tick") {
		t.Fatalf("Logs tail 1 = %q, %v", out, err)
	}
	if _, err := d.Logs(ctx, c, container.LogOptions{Tail: "x"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("Logs bad tail err = %v", err)
	}
	future := time.Now().Add(time.Hour).Unix()
	if out, err := d.Logs(ctx, c, container.LogOptions{Since: strconv.FormatInt(future, 10)}); err != nil || out != "" {
		t.Fatalf("Logs since future = %q, %v", out, err)
	}

	res, err := d.Exec(ctx, c, []string{"sh", "-c", "echo $GREETING; echo oops >&2; exit 3"}, 10*time.Second, 0)
	if err != nil || res.ExitCode != 3 || !strings.Contains(res.Output, "hello\n") || !strings.Contains(res.Output, "oops") {
		t.Fatalf("Exec = %+v, %v", res, err)
	}
	res, err = d.Exec(ctx, c, []string{"sh", "-c", "yes | head -c 100000"}, 10*time.Second, 1000)
	if err != nil || len(res.Output) != 1000 || res.ExitCode != 0 {
		t.Fatalf("capped Exec = %d bytes, code %d, %v", len(res.Output), res.ExitCode, err)
	}
	start := time.Now()
	_, err = d.Exec(ctx, c, []string{"sleep", "30"}, 500*time.Millisecond, 0)
	if !errors.Is(err, errdefs.ErrTimeout) || time.Since(start) > 5*time.Second {
		t.Fatalf("Exec timeout err = %v after %s", err, time.Since(start))
	}

	if err := d.Pause(ctx, c); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	st = mustState(t, d, c, api.StatusPaused)
	if !strings.HasSuffix(st.Detail, "(paused)") {
		t.Fatalf("paused detail = %q", st.Detail)
	}
	if err := d.Pause(ctx, c); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("second Pause err = %v, want conflict", err)
	}
	if err := d.Unpause(ctx, c); err != nil {
		t.Fatalf("Unpause: %v", err)
	}
	if err := d.Unpause(ctx, c); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("second Unpause err = %v, want conflict", err)
	}
	mustState(t, d, c, api.StatusRunning)

	if err := d.Update(ctx, c, 1.5, 128); err != nil {
		t.Fatalf("Update: %v", err)
	}
	ins, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := ins.Container.HostConfig.Resources; r.CPUShares != 1536 || r.NanoCPUs != 1.5e9 || r.Memory != 128*mib || r.MemorySwap != 128*mib {
		t.Fatalf("updated resources = shares %d nano %d mem %d swap %d", r.CPUShares, r.NanoCPUs, r.Memory, r.MemorySwap)
	}

	// A signal the container survives, in every accepted spelling; one at
	// a time, as pending standard signals coalesce.
	for i, sig := range []string{"SIGUSR1", "USR1", "usr1", "10"} {
		if err := d.Kill(ctx, c, sig); err != nil {
			t.Fatalf("Kill %s: %v", sig, err)
		}
		eventually(t, "usr1 line after "+sig, func() bool {
			out, err := d.Logs(ctx, c, container.LogOptions{})
			return err == nil && strings.Count(out, "usr1") == i+1
		})
	}
	if err := d.Kill(ctx, c, "SIGBOGUS"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("Kill bogus err = %v", err)
	}

	if err := d.Stop(ctx, c, 5*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st = mustState(t, d, c, api.StatusStopped)
	if !strings.HasPrefix(st.Detail, "Exited(0) ") || st.ExitCode != 0 || st.Reason != "" {
		t.Fatalf("stopped state = %+v", st)
	}
	if err := d.Stop(ctx, c, time.Second); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := d.Kill(ctx, c, "TERM"); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("Kill stopped err = %v, want conflict", err)
	}

	for _, sig := range []string{"SIGTERM", "TERM", "term", "15"} {
		if err := d.Restart(ctx, c, 5*time.Second); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		mustState(t, d, c, api.StatusRunning)
		if err := d.Kill(ctx, c, sig); err != nil {
			t.Fatalf("Kill %s: %v", sig, err)
		}
		eventually(t, "exit after "+sig, func() bool {
			st, err := d.Inspect(ctx, c)
			return err == nil && st.Status == api.StatusStopped && st.ExitCode == 0
		})
	}
	if err := d.Start(ctx, c); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := d.Kill(ctx, c, ""); err != nil {
		t.Fatalf("Kill default: %v", err)
	}
	eventually(t, "exit 137", func() bool {
		st, err := d.Inspect(ctx, c)
		return err == nil && st.Status == api.StatusStopped && st.ExitCode == 137
	})

	list, err := d.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.ContainsFunc(list, func(s container.State) bool { return s.UUID == c.UUID && s.ContainerID == id }) {
		t.Fatalf("List lacks %s: %+v", c.UUID, list)
	}

	eventually(t, "start and die events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["start"] && seen["die"] && seen["pause"] && seen["unpause"]
	})

	if err := d.Delete(ctx, c, false); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := d.Inspect(ctx, c); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Inspect deleted err = %v", err)
	}
	if err := d.Delete(ctx, c, true); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	eventually(t, "destroy event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["destroy"]
	})
	stopEvents()
	select {
	case <-evDone:
	case <-time.After(5 * time.Second):
		t.Fatal("event channel not closed after cancel")
	}
}

// checkSandbox verifies the engine got Zun's limits and isolation.
func checkSandbox(t *testing.T, d *Driver, id string, c *model.Container) {
	t.Helper()
	ins, err := d.cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h, cfg := ins.Container.HostConfig, ins.Container.Config
	if ins.Container.Name != "/"+c.DockerName() {
		t.Errorf("name = %s", ins.Container.Name)
	}
	if h.CPUShares != 512 || h.NanoCPUs != 5e8 {
		t.Errorf("cpu shares %d nano %d", h.CPUShares, h.NanoCPUs)
	}
	if h.Memory != 64*mib || h.MemorySwap != 64*mib {
		t.Errorf("memory %d swap %d", h.Memory, h.MemorySwap)
	}
	if h.PidsLimit == nil || *h.PidsLimit != DefaultPidsLimit {
		t.Errorf("pids limit %v", h.PidsLimit)
	}
	if h.Privileged || len(h.Binds) != 0 || len(ins.Container.Mounts) != 0 {
		t.Errorf("privileged %v binds %v mounts %v", h.Privileged, h.Binds, ins.Container.Mounts)
	}
	if h.NetworkMode == "host" || h.PidMode == "host" || h.IpcMode == "host" || h.UTSMode == "host" || h.UsernsMode == "host" {
		t.Errorf("host namespace: net %s pid %s ipc %s uts %s", h.NetworkMode, h.PidMode, h.IpcMode, h.UTSMode)
	}
	// Nothing a tenant sends reaches these: the record has no field for
	// them, so a tenant container never gets capabilities or devices.
	if len(h.CapAdd) != 0 || len(h.Devices) != 0 || len(h.DeviceCgroupRules) != 0 || h.CgroupnsMode == "host" ||
		len(h.VolumesFrom) != 0 || len(h.Links) != 0 || h.PublishAllPorts {
		t.Errorf("extra host access: caps %v devices %v rules %v cgroupns %s volumes-from %v links %v",
			h.CapAdd, h.Devices, h.DeviceCgroupRules, h.CgroupnsMode, h.VolumesFrom, h.Links)
	}
	if !slices.Contains(h.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("security opts %v", h.SecurityOpt)
	}
	if h.LogConfig.Type != "json-file" || h.LogConfig.Config["max-size"] != "10m" || h.LogConfig.Config["max-file"] != "3" {
		t.Errorf("log config %+v", h.LogConfig)
	}
	if h.Runtime != DefaultRuntime {
		t.Errorf("runtime %q", h.Runtime)
	}
	if cfg.Labels[container.LabelManaged] != "true" || cfg.Labels[container.LabelUUID] != c.UUID ||
		cfg.Labels[container.LabelProjectID] != c.ProjectID || cfg.Labels[testRunKey] == "" {
		t.Errorf("labels %v", cfg.Labels)
	}
	if !slices.Contains(cfg.Env, "GREETING=hello") {
		t.Errorf("env %v", cfg.Env)
	}
	if hc := cfg.Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD-SHELL", "true"}) || hc.Interval != time.Second || hc.Timeout != 2*time.Second || hc.Retries != 3 {
		t.Errorf("healthcheck %+v", cfg.Healthcheck)
	}
}

func TestCreateConflicts(t *testing.T) {
	d, run := newTestDriver(t)
	ctx := t.Context()
	c := newRecord(run)
	// A stranger holds the name zun-<uuid>.
	_, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   c.DockerName(),
		Config: &dcontainer.Config{Image: testImage, Labels: map[string]string{testRunKey: run}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create(ctx, c); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Fatalf("Create on taken name err = %v", err)
	}

	missing := newRecord(run)
	missing.Image = "zun-test-missing/nothing:1"
	if _, err := d.Create(ctx, missing); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Create with missing image err = %v", err)
	}
	if _, err := d.Inspect(ctx, missing); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Inspect missing err = %v", err)
	}
	if err := d.Start(ctx, missing); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Start missing err = %v", err)
	}

	// A running container resists a plain delete.
	r := newRecord(run)
	r.AutoRemove = false
	if r.ContainerID, err = d.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, r, false); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("Delete running err = %v, want conflict", err)
	}
	if err := d.Delete(ctx, r, true); err != nil {
		t.Fatalf("force Delete: %v", err)
	}
}

func TestAutoRemoveAndExitError(t *testing.T) {
	d, run := newTestDriver(t)
	ctx := t.Context()
	c := newRecord(run)
	c.Command = []string{"sh", "-c", "exit 7"}
	c.Healthcheck = nil
	id, err := d.Create(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	c.ContainerID = id
	if err := d.Start(ctx, c); err != nil {
		t.Fatal(err)
	}
	eventually(t, "exit 7", func() bool {
		st, err := d.Inspect(ctx, c)
		return err == nil && st.Status == api.StatusStopped && st.ExitCode == 7 && strings.HasPrefix(st.Detail, "Exited(7) ")
	})

	bad := newRecord(run)
	bad.Command = nil
	bad.Entrypoint = []string{"/no/such/binary"}
	bad.Healthcheck = nil
	if bad.ContainerID, err = d.Create(ctx, bad); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, bad); err == nil {
		t.Fatal("Start of a missing entrypoint succeeded")
	}
	st, err := d.Inspect(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reason == "" || !strings.HasSuffix(st.Detail, "(error)") {
		t.Fatalf("failed start state = %+v", st)
	}

	ar := newRecord(run)
	ar.AutoRemove = true
	ar.Command = []string{"true"}
	ar.Healthcheck = nil
	if ar.ContainerID, err = d.Create(ctx, ar); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, ar); err != nil {
		t.Fatal(err)
	}
	eventually(t, "auto-removal", func() bool {
		_, err := d.Inspect(ctx, ar)
		return errors.Is(err, errdefs.ErrNotFound)
	})
	if err := d.Delete(ctx, ar, false); err != nil {
		t.Fatalf("Delete auto-removed: %v", err)
	}
}

func TestEnsureImage(t *testing.T) {
	d, _ := newTestDriver(t)
	ctx := t.Context()
	cases := []struct {
		image, policy string
		wantErr       error
	}{
		{testImage, PullNever, nil},
		{testImage, PullIfNotPresent, nil},
		{testImage, "", nil},
		{"docker.io/library/" + testImage, "IfNotPresent", nil},
		{"zun-test-missing/nothing:1", PullNever, errdefs.ErrNotFound},
		{"zun-test-missing/nothing", PullNever, errdefs.ErrNotFound},
		{testImage, "sometimes", errdefs.ErrInvalidArgument},
		{"Not A Reference", PullNever, errdefs.ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.image+"/"+tc.policy, func(t *testing.T) {
			if err := d.EnsureImage(ctx, tc.image, tc.policy); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	// A pull that cannot succeed (no such repository, or no registry
	// reachable from this machine) is an error, never silent success.
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := d.EnsureImage(pctx, "zun-test-missing/nothing:1", PullIfNotPresent); err == nil {
		t.Fatal("pull of a missing image succeeded")
	}
}

func TestHostInfo(t *testing.T) {
	d, _ := newTestDriver(t)
	h, err := d.HostInfo(t.Context())
	if err != nil {
		t.Fatalf("HostInfo: %v", err)
	}
	if h.CPUs < 1 || h.MemTotal < 64 || h.DiskTotal < 1 || h.OSType != "linux" || h.Architecture == "" || h.KernelVersion == "" || h.OS == "" {
		t.Fatalf("implausible host info %+v", h)
	}
	if !slices.Contains(h.Runtimes, "runc") || h.Labels["zone"] != "test" || h.TotalContainers < 0 {
		t.Fatalf("host info %+v", h)
	}
	if !strings.HasPrefix(d.APIVersion(), "1.") {
		t.Fatalf("api version %q", d.APIVersion())
	}
	t.Logf("host: %+v api %s", h, d.APIVersion())
}

func TestNewUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := New(ctx, Config{Host: "unix://" + t.TempDir() + "/none.sock"}, nil)
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("New on missing socket err = %v, want unavailable", err)
	}
}
