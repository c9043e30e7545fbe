package docker

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func startRecord(t *testing.T, d *Driver, c *model.Container) {
	t.Helper()
	id, err := d.Create(t.Context(), c)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	c.ContainerID = id
	if err := d.Start(t.Context(), c); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func readFor(t *testing.T, r io.Reader, want string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for !strings.Contains(b.String(), want) {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- b.String()
	}()
	select {
	case s := <-got:
		if !strings.Contains(s, want) {
			t.Fatalf("stream gave %q, want %q", s, want)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("no %q on the stream", want)
	}
}

func TestConsoleAndArchive(t *testing.T) {
	d, run := newTestDriver(t)
	ctx := t.Context()
	c := newRecord(run)
	c.Command, c.Healthcheck = []string{"cat"}, nil
	c.Interactive = true
	startRecord(t, d, c)

	// Attach without a TTY: input echoed by cat, output demultiplexed.
	s, err := d.Attach(ctx, c)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if _, err := s.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	readFor(t, s, "ping\n")
	_ = s.Close()

	// An interactive exec with a TTY, resized.
	id, err := d.ExecCreate(ctx, c, []string{"sh"}, true, true)
	if err != nil {
		t.Fatalf("ExecCreate: %v", err)
	}
	es, err := d.ExecStart(ctx, c, id, true)
	if err != nil {
		t.Fatalf("ExecStart: %v", err)
	}
	if err := d.ExecResize(ctx, c, id, 33, 77); err != nil {
		t.Fatalf("ExecResize: %v", err)
	}
	_, _ = es.Write([]byte("stty size; exit\r"))
	readFor(t, es, "33 77")
	_ = es.Close()

	// The exec of another container is not found through this one.
	other := newRecord(run)
	startRecord(t, d, other)
	if err := d.ExecResize(ctx, other, id, 10, 10); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("ExecResize through another container: %v", err)
	}
	if _, err := d.ExecStart(ctx, c, strings.Repeat("0", 64), true); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("ExecStart of an unknown exec: %v", err)
	}

	// Copy in, copy out; a cap below the size is ErrTooLarge.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "f.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 6})
	_, _ = tw.Write([]byte("hello\n"))
	_ = tw.Close()
	if err := d.CopyTo(ctx, c, "/tmp", &buf); err != nil {
		t.Fatalf("CopyTo: %v", err)
	}
	data, st, err := d.CopyFrom(ctx, c, "/tmp/f.txt", 1<<20)
	if err != nil {
		t.Fatalf("CopyFrom: %v", err)
	}
	if st.Name != "f.txt" || st.Size != 6 {
		t.Fatalf("stat %+v", st)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	if h, err := tr.Next(); err != nil || h.Name != "f.txt" {
		t.Fatalf("archive entry %v %v", h, err)
	}
	if b, _ := io.ReadAll(tr); string(b) != "hello\n" {
		t.Fatalf("content %q", b)
	}
	if _, _, err := d.CopyFrom(ctx, c, "/tmp/f.txt", 100); !errors.Is(err, errdefs.ErrTooLarge) {
		t.Fatalf("capped CopyFrom: %v", err)
	}
	if _, _, err := d.CopyFrom(ctx, c, "/nonexistent", 1<<20); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("CopyFrom of a missing path: %v", err)
	}
}
