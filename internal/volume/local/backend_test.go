package local

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/testutil/needs"
)

func newBackend(t *testing.T) *Backend {
	t.Helper()
	needs.LoopDevices(t)
	b, err := New(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAttachDetachDestroy(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	id := uuid.NewString()
	t.Cleanup(func() { _ = b.Destroy(context.Background(), id) })

	data, err := b.Attach(ctx, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if data != filepath.Join(b.MountPath(id), DataSubdir) {
		t.Fatalf("data dir %s", data)
	}
	if m, _ := IsMountPoint(b.MountPath(id)); !m {
		t.Fatal("not mounted")
	}
	devs, err := LoopDevices(ctx, b.ImagePath(id))
	if err != nil || len(devs) != 1 {
		t.Fatalf("loop devices %v, %v", devs, err)
	}
	// Sparse: the 1 GiB file takes far less on the host.
	if st, err := os.Stat(b.ImagePath(id)); err != nil || st.Size() != 1<<30 {
		t.Fatalf("image %v, %v", st, err)
	}
	if err := os.WriteFile(filepath.Join(data, "f"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Idempotent: a second attach (agent restart) keeps the one mount.
	if _, err := b.Attach(ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	if devs, _ := LoopDevices(ctx, b.ImagePath(id)); len(devs) != 1 {
		t.Fatalf("second attach made loop devices %v", devs)
	}

	if err := b.Detach(ctx, id); err != nil {
		t.Fatal(err)
	}
	if m, _ := IsMountPoint(b.MountPath(id)); m {
		t.Fatal("still mounted")
	}
	if devs, _ := LoopDevices(ctx, b.ImagePath(id)); len(devs) != 0 {
		t.Fatalf("loop devices left: %v", devs)
	}
	if err := b.Detach(ctx, id); err != nil {
		t.Fatalf("second detach: %v", err)
	}

	data, err = b.Attach(ctx, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(data, "f")); err != nil || string(got) != "kept" {
		t.Fatalf("data after reattach: %q, %v", got, err)
	}
	if err := b.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.ImagePath(id)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("image left: %v", err)
	}
	if devs, _ := LoopDevices(ctx, b.ImagePath(id)); len(devs) != 0 {
		t.Fatalf("loop devices left: %v", devs)
	}
}

func TestPathsOnlyFromUUIDs(t *testing.T) {
	b := newBackend(t)
	for _, id := range []string{"../../etc", "/etc/passwd", "", "x"} {
		if _, err := b.Attach(context.Background(), id, 1); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("Attach(%q): %v", id, err)
		}
		if _, err := b.InjectFile(id, 0, []byte("x")); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("InjectFile(%q): %v", id, err)
		}
	}
}

func TestInjectFiles(t *testing.T) {
	b := newBackend(t)
	ctr := uuid.NewString()
	p, err := b.InjectFile(ctr, 0, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "hello" {
		t.Fatalf("content %q", got)
	}
	if err := b.RemoveFiles(ctr); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.FilesDir(ctr)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("files left: %v", err)
	}
}
