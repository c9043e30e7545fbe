package docker

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// newCapsuleDriver builds zun-pause, and returns a driver with its own
// host label and sandbox image tag, both removed at cleanup.
func newCapsuleDriver(t *testing.T) *Driver {
	t.Helper()
	requireDocker(t)
	bin := filepath.Join(t.TempDir(), "zun-pause")
	build := exec.Command("go", "build", "-o", bin, "../../../cmd/zun-pause")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building zun-pause: %v\n%s", err, out)
	}
	run := uuid.NewString()[:8]
	logger := slog.New(slog.NewTextHandler(testLogWriter{t}, nil))
	d, err := New(t.Context(), Config{Host: "unix://" + dockerSock, ZunHost: "capsule-test-" + run,
		PauseBinary: bin, SandboxImage: "zun/pause-test:" + run}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f := client.Filters{}.Add("label", container.LabelHost+"="+d.cfg.ZunHost)
		res, _ := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		for _, c := range res.Items {
			_, _ = d.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		}
		_, _ = d.cli.ImageRemove(ctx, d.cfg.SandboxImage, client.ImageRemoveOptions{Force: true})
		_ = d.Close()
	})
	return d
}

func testCapsule() *model.Capsule {
	member := func(name, role string, cmd ...string) model.Member {
		return model.Member{Container: model.Container{UUID: uuid.NewString(), Name: name, Image: testImage, Command: cmd,
			CPU: 0.1, Memory: 32, ProjectID: "p1"}, Role: role,
			VolumeMounts: []model.VolumeMount{{Name: "work", MountPath: "/work"}}}
	}
	return &model.Capsule{
		UUID: uuid.NewString(), ProjectID: "p1", Name: "drv",
		Volumes:        []model.CapsuleVolume{{Name: "work", Size: 1, AutoRemove: true}},
		InitContainers: []model.Member{member("init", model.RoleInit, "sh", "-c", "echo from-init > /work/f; exit 3")},
		Containers: []model.Member{member("app", model.RoleApp, "sh", "-c", "(sleep 0.2 &); (sleep 0.2 &); exec sleep 600"),
			member("peer", model.RoleApp, "sleep", "600")},
	}
}

func TestCapsuleSandboxAndMembers(t *testing.T) {
	d := newCapsuleDriver(t)
	ctx := t.Context()
	// No image and no binary: a clear not-found error.
	missing := *d
	missing.cfg.PauseBinary = filepath.Join(t.TempDir(), "none")
	if err := missing.EnsureSandboxImage(ctx); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("EnsureSandboxImage without binary: %v", err)
	}
	if err := d.EnsureSandboxImage(ctx); err != nil {
		t.Fatal(err)
	}
	img, err := d.cli.ImageInspect(ctx, d.cfg.SandboxImage)
	if err != nil || img.Config == nil || strings.Join(img.Config.Entrypoint, " ") != "/pause" {
		t.Fatalf("sandbox image: %v %+v", err, img.Config)
	}
	if err := d.EnsureSandboxImage(ctx); err != nil {
		t.Fatalf("second EnsureSandboxImage: %v", err)
	}

	c := testCapsule()
	// The agent attaches volumes and gives the driver their directory.
	if _, err := d.CreateMember(ctx, c, &c.InitContainers[0]); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("CreateMember with an unattached volume: %v", err)
	}
	c.Volumes[0].HostPath = t.TempDir()
	id, err := d.CreateSandbox(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := d.CreateSandbox(ctx, c); err != nil || again != id {
		t.Fatalf("CreateSandbox is not idempotent: %s %v", again, err)
	}
	sandbox := &model.Container{UUID: c.UUID, ContainerID: id}
	if err := d.Start(ctx, sandbox); err != nil {
		t.Fatal(err)
	}
	ins, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil || !ins.Container.HostConfig.ReadonlyRootfs || strings.Join(ins.Container.HostConfig.CapDrop, ",") != "ALL" ||
		ins.Container.HostConfig.Privileged || ins.Container.HostConfig.NetworkMode.IsHost() {
		t.Fatalf("sandbox host config: %v %+v", err, ins.Container.HostConfig)
	}

	init := &c.InitContainers[0]
	if init.ContainerID, err = d.CreateMember(ctx, c, init); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, &init.Container); err != nil {
		t.Fatal(err)
	}
	if code, err := d.Wait(ctx, &init.Container); err != nil || code != 3 {
		t.Fatalf("Wait = %d, %v; want 3", code, err)
	}
	for i := range c.Containers {
		m := &c.Containers[i]
		if m.ContainerID, err = d.CreateMember(ctx, c, m); err != nil {
			t.Fatal(err)
		}
		if err := d.Start(ctx, &m.Container); err != nil {
			t.Fatal(err)
		}
	}
	app, peer := &c.Containers[0], &c.Containers[1]
	if r, err := d.Exec(ctx, &peer.Container, []string{"cat", "/work/f"}, 5*time.Second, 1<<10); err != nil || strings.TrimSpace(r.Output) != "from-init" {
		t.Fatalf("volume shared with the init container: %+v %v", r, err)
	}
	// One PID namespace: pause is PID 1, the app's processes are visible,
	// and the orphans the app left were reaped (no zombie).
	time.Sleep(time.Second)
	r, err := d.Exec(ctx, &peer.Container, []string{"ps", "-o", "pid,stat,args"}, 5*time.Second, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Output, "/pause") {
		t.Fatalf("pause is not visible:\n%s", r.Output)
	}
	if !strings.Contains(r.Output, "sleep 600") {
		t.Fatalf("the app's process is not visible from the peer:\n%s", r.Output)
	}
	for _, l := range strings.Split(r.Output, "\n") {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], "Z") {
			t.Fatalf("zombie left unreaped:\n%s", r.Output)
		}
	}
	st, err := d.Inspect(ctx, &app.Container)
	if err != nil || st.Capsule != c.UUID || st.Status != api.StatusRunning {
		t.Fatalf("member state %+v %v", st, err)
	}

	// The bound directory is the volume's (what the agent attached).
	if b, err := os.ReadFile(filepath.Join(c.Volumes[0].HostPath, "f")); err != nil || strings.TrimSpace(string(b)) != "from-init" {
		t.Fatalf("host directory of the volume: %q %v", b, err)
	}

	// pause exits on SIGTERM with code 0 (a kill after the timeout would
	// be 137).
	for _, m := range c.Members() {
		if err := d.Delete(ctx, &m.Container, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Stop(ctx, sandbox, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	st, err = d.Inspect(ctx, sandbox)
	if err != nil || st.ExitCode != 0 {
		t.Fatalf("sandbox stop: exit %d, %v", st.ExitCode, err)
	}
	if err := d.Delete(ctx, sandbox, true); err != nil {
		t.Fatal(err)
	}
}
