package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
)

type entry struct {
	name, link string
	typ        byte
	mode       int64
	body       string
}

func build(t *testing.T, es ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		if e.mode == 0 {
			e.mode = 0o644
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body)), Uid: 1000, Gid: 1000}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			_, _ = tw.Write([]byte(e.body))
		}
	}
	_ = tw.Close()
	return b.Bytes()
}

var lim = Limits{MaxBytes: 1 << 20, MaxEntries: 100}

func TestSanitizeRefuses(t *testing.T) {
	for name, es := range map[string][]entry{
		"dotdot":              {{name: "../x", typ: tar.TypeReg, body: "x"}},
		"inner dotdot":        {{name: "a/../../x", typ: tar.TypeReg, body: "x"}},
		"absolute":            {{name: "/etc/x", typ: tar.TypeReg, body: "x"}},
		"symlink absolute":    {{name: "a", link: "/", typ: tar.TypeSymlink}},
		"symlink climbing":    {{name: "d/a", link: "../../etc", typ: tar.TypeSymlink}},
		"through symlink":     {{name: "a", link: "b", typ: tar.TypeSymlink}, {name: "a/etc/x", typ: tar.TypeReg, body: "x"}},
		"hardlink outside":    {{name: "h", link: "/etc/shadow", typ: tar.TypeLink}},
		"hardlink not seen":   {{name: "h", link: "etc/shadow", typ: tar.TypeLink}},
		"char device":         {{name: "null", typ: tar.TypeChar}},
		"block device":        {{name: "sda", typ: tar.TypeBlock}},
		"fifo":                {{name: "p", typ: tar.TypeFifo}},
		"destination as file": {{name: ".", typ: tar.TypeReg, body: "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Sanitize(bytes.NewReader(build(t, es...)), lim)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("got %v, want ErrInvalidArgument", err)
			}
		})
	}
	if _, err := Sanitize(bytes.NewReader([]byte("not a tar at all, really not")), lim); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("garbage: got %v", err)
	}
}

func TestSanitizeLimits(t *testing.T) {
	big := build(t, entry{name: "a", typ: tar.TypeReg, body: string(make([]byte, 2000))})
	if _, err := Sanitize(bytes.NewReader(big), Limits{MaxBytes: 1000, MaxEntries: 10}); !errors.Is(err, errdefs.ErrTooLarge) {
		t.Fatalf("size: got %v", err)
	}
	many := build(t, entry{name: "a", typ: tar.TypeDir}, entry{name: "b", typ: tar.TypeDir}, entry{name: "c", typ: tar.TypeDir})
	if _, err := Sanitize(bytes.NewReader(many), Limits{MaxBytes: 1000, MaxEntries: 2}); !errors.Is(err, errdefs.ErrTooLarge) {
		t.Fatalf("entries: got %v", err)
	}
}

func TestSanitizeKeepsSafeEntriesAndDropsSetID(t *testing.T) {
	in := build(t,
		entry{name: "./", typ: tar.TypeDir, mode: 0o755},
		entry{name: "dir/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "dir/suid", typ: tar.TypeReg, mode: 0o4755, body: "#!/bin/sh\n"},
		entry{name: "dir/link", link: "suid", typ: tar.TypeSymlink},
		entry{name: "up", link: "dir/../dir/suid", typ: tar.TypeSymlink},
		entry{name: "hard", link: "dir/suid", typ: tar.TypeLink},
	)
	out, err := Sanitize(bytes.NewReader(in), lim)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(out))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Mode&0o7000 != 0 || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mode %o uid %d gid %d kept", h.Name, h.Mode, h.Uid, h.Gid)
		}
		if h.Name == "dir/suid" {
			b, _ := io.ReadAll(tr)
			if string(b) != "#!/bin/sh\n" {
				t.Errorf("content %q", b)
			}
		}
	}
	want := []string{"dir/", "dir/suid", "dir/link", "up", "hard"}
	if len(names) != len(want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %v, want %v", names, want)
		}
	}
}
