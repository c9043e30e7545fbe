package conductor

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/secretbox"
	"github.com/openzun/zun/internal/store/sqlstore"
	"github.com/openzun/zun/internal/zunctx"
)

func newConductor(t *testing.T) (*Conductor, *sqlstore.Store, *secretbox.Box) {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "zun.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	box, err := secretbox.Open(filepath.Join(t.TempDir(), "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	return New(st, nil, slog.New(slog.DiscardHandler)).WithSecrets(box), st, box
}

func placedContainer(t *testing.T, st *sqlstore.Store, host, task, registry string) *model.Container {
	t.Helper()
	c := &model.Container{Name: "c-" + uuid.NewString()[:8], ProjectID: "p1", UserID: "u1", Image: "app:v1",
		Status: api.StatusCreating, TaskState: task, Host: host, RegistryID: registry}
	if err := st.Containers().Create(zunctx.System(context.Background()), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRegistryAuth hands the decrypted credential only to the
// container's own host, only while it is being created.
func TestRegistryAuth(t *testing.T) {
	cd, st, box := newConductor(t)
	ctx := zunctx.System(context.Background())
	reg := &model.Registry{UUID: uuid.NewString(), ProjectID: "p1", UserID: "u1", Name: "r", Domain: "reg.example:5000", Username: "bob"}
	var err error
	if reg.SealedPassword, err = box.Seal("s3cret", reg.UUID); err != nil {
		t.Fatal(err)
	}
	if err := st.Registries().Create(ctx, reg); err != nil {
		t.Fatal(err)
	}
	c := placedContainer(t, st, "h1", api.TaskImagePulling, reg.UUID)
	out, err := cd.registryAuth(ctx, rpc.RegistryAuthRequest{ContainerUUID: c.UUID, Host: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	auth := out.(rpc.RegistryAuthReply).Auth
	if auth == nil || auth.Password != "s3cret" || auth.Username != "bob" || auth.ServerAddress != "reg.example:5000" {
		t.Fatalf("auth %+v", auth)
	}
	if _, err := cd.registryAuth(ctx, rpc.RegistryAuthRequest{ContainerUUID: c.UUID, Host: "h2"}); !errors.Is(err, errdefs.ErrForbidden) {
		t.Fatalf("another host: %v", err)
	}
	running := placedContainer(t, st, "h1", "", reg.UUID)
	if _, err := cd.registryAuth(ctx, rpc.RegistryAuthRequest{ContainerUUID: running.UUID, Host: "h1"}); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("a container not being created: %v", err)
	}
	plain := placedContainer(t, st, "h1", api.TaskImagePulling, "")
	if out, err := cd.registryAuth(ctx, rpc.RegistryAuthRequest{ContainerUUID: plain.UUID, Host: "h1"}); err != nil || out.(rpc.RegistryAuthReply).Auth != nil {
		t.Fatalf("no registry: %v %v", out, err)
	}
}

// TestCommitFailed marks the commit's image killed with the reason, only
// for the container's own host and its own commit.
func TestCommitFailed(t *testing.T) {
	cd, st, _ := newConductor(t)
	ctx := zunctx.System(context.Background())
	c := placedContainer(t, st, "h1", "", "")
	other := placedContainer(t, st, "h1", "", "")
	im := &model.GlanceImage{Name: "snap", ProjectID: "p1", Visibility: "private", Status: model.GlanceQueued,
		ContainerFormat: "docker", DiskFormat: "raw", Properties: map[string]string{"zun_container": c.UUID}}
	if err := st.GlanceImages().Create(ctx, im); err != nil {
		t.Fatal(err)
	}
	if _, err := cd.commitFailed(ctx, rpc.CommitFailed{ContainerUUID: c.UUID, Host: "h2", GlanceImageID: im.UUID, Reason: "x"}); !errors.Is(err, errdefs.ErrForbidden) {
		t.Fatalf("another host: %v", err)
	}
	if _, err := cd.commitFailed(ctx, rpc.CommitFailed{ContainerUUID: other.UUID, Host: "h1", GlanceImageID: im.UUID, Reason: "x"}); !errors.Is(err, errdefs.ErrForbidden) {
		t.Fatalf("another container's image: %v", err)
	}
	if _, err := cd.commitFailed(ctx, rpc.CommitFailed{ContainerUUID: c.UUID, Host: "h1", GlanceImageID: im.UUID, Reason: "disk full"}); err != nil {
		t.Fatal(err)
	}
	got, err := st.GlanceImages().Get(ctx, im.UUID)
	if err != nil || got.Status != model.GlanceKilled || got.Properties["zun_commit_error"] != "disk full" {
		t.Fatalf("image %+v, %v", got, err)
	}
}

// TestContainerGoneWithoutRecord releases the volumes the reporting host
// holds for a container whose record is gone: size= ones deleted, named
// ones available; another host's report changes nothing.
func TestContainerGoneWithoutRecord(t *testing.T) {
	cd, st, _ := newConductor(t)
	ctx := zunctx.System(context.Background())
	gone := uuid.NewString()
	scratch := &model.Volume{ProjectID: "p1", Size: 1, Status: model.VolumeInUse, Host: "h1", AttachedTo: gone, AutoRemove: true}
	named := &model.Volume{ProjectID: "p1", Size: 1, Status: model.VolumeInUse, Host: "h1", AttachedTo: gone, Name: "keep"}
	for _, v := range []*model.Volume{scratch, named} {
		if err := st.Volumes().Create(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cd.containerGone(ctx, rpc.ContainerGone{UUID: gone, Host: "h2"}); err != nil {
		t.Fatal(err)
	}
	if v, err := st.Volumes().Get(ctx, named.UUID); err != nil || v.Status != model.VolumeInUse {
		t.Fatalf("another host released the volume: %+v %v", v, err)
	}
	if _, err := cd.containerGone(ctx, rpc.ContainerGone{UUID: gone, Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Volumes().Get(ctx, scratch.UUID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("size= volume of the vanished container: %v", err)
	}
	if v, err := st.Volumes().Get(ctx, named.UUID); err != nil || v.Status != model.VolumeAvailable || v.AttachedTo != "" {
		t.Fatalf("named volume: %+v %v", v, err)
	}
}

// TestCommitsInterrupted kills the queued commits of a restarted host's
// containers cast before it started, and nothing else.
func TestCommitsInterrupted(t *testing.T) {
	cd, st, _ := newConductor(t)
	ctx := zunctx.System(context.Background())
	mine := placedContainer(t, st, "h1", "", "")
	theirs := placedContainer(t, st, "h2", "", "")
	mk := func(ctr string) *model.GlanceImage {
		im := &model.GlanceImage{Name: "snap", ProjectID: "p1", Visibility: "private", Status: model.GlanceQueued,
			ContainerFormat: "docker", DiskFormat: "raw", Properties: map[string]string{"zun_container": ctr}}
		if err := st.GlanceImages().Create(ctx, im); err != nil {
			t.Fatal(err)
		}
		return im
	}
	old, other := mk(mine.UUID), mk(theirs.UUID)
	started := time.Now()
	time.Sleep(10 * time.Millisecond)
	fresh := mk(mine.UUID)
	if _, err := cd.commitsInterrupted(ctx, rpc.CommitsInterrupted{Host: "h1", StartedAt: started}); err != nil {
		t.Fatal(err)
	}
	for im, want := range map[*model.GlanceImage]string{old: model.GlanceKilled, other: model.GlanceQueued, fresh: model.GlanceQueued} {
		got, err := st.GlanceImages().Get(ctx, im.UUID)
		if err != nil || got.Status != want {
			t.Fatalf("image of %s: %+v, %v; want %s", im.Properties["zun_container"], got, err, want)
		}
	}
}

type boundPorts struct{ binds []string }

func (b *boundPorts) HostState(context.Context, string) (model.HostNetworkState, error) {
	return model.HostNetworkState{}, nil
}
func (b *boundPorts) ReleaseDevice(context.Context, string) error { return nil }
func (b *boundPorts) BindDevice(_ context.Context, deviceID, host string) error {
	b.binds = append(b.binds, deviceID+"@"+host)
	return nil
}

// TestBindPorts binds a container's ports only for its own host, and
// only when it has ports.
func TestBindPorts(t *testing.T) {
	cd, st, _ := newConductor(t)
	nets := &boundPorts{}
	cd.WithNetworks(nets)
	ctx := zunctx.System(context.Background())
	c := placedContainer(t, st, "h1", api.TaskContainerCreating, "")
	if _, err := st.Containers().Update(ctx, c.UUID, func(x *model.Container) error {
		x.Networks = []model.PortAttachment{{PortID: "p-1", NetworkID: "n-1"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := cd.bindPorts(ctx, rpc.BindPortsRequest{ContainerUUID: c.UUID, Host: "h2"}); !errors.Is(err, errdefs.ErrForbidden) {
		t.Fatalf("another host: %v", err)
	}
	if _, err := cd.bindPorts(ctx, rpc.BindPortsRequest{ContainerUUID: c.UUID, Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	plain := placedContainer(t, st, "h1", api.TaskContainerCreating, "")
	if _, err := cd.bindPorts(ctx, rpc.BindPortsRequest{ContainerUUID: plain.UUID, Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{c.UUID + "@h1"}; len(nets.binds) != 1 || nets.binds[0] != want[0] {
		t.Fatalf("binds %v, want %v", nets.binds, want)
	}
}
