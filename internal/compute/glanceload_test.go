package compute

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for name, body := range files {
		if err := w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckDockerArchive(t *testing.T) {
	manifest := `[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l/layer.tar"]}]`
	valid := tarOf(t, map[string]string{"manifest.json": manifest, "c.json": "{}", "l/layer.tar": strings.Repeat("a", 4096)})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"valid", valid, ""},
		{"not a tar", []byte(strings.Repeat("garbage!", 200)), "corrupt or truncated"},
		{"truncated", valid[:len(valid)/2], "truncated"},
		{"no manifest", tarOf(t, map[string]string{"c.json": "{}"}), "manifest.json is missing"},
		{"bad manifest", tarOf(t, map[string]string{"manifest.json": "{"}), "malformed"},
		{"missing layer", tarOf(t, map[string]string{"manifest.json": manifest, "c.json": "{}"}), "l/layer.tar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "a.tar")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			err := checkDockerArchive(p)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestSplitRefAndRegistryRef(t *testing.T) {
	for in, want := range map[string][2]string{
		"busybox": {"busybox", "latest"}, "busybox:1.35": {"busybox", "1.35"},
		"127.0.0.1:5000/a/b:v1": {"127.0.0.1:5000/a/b", "v1"}, "127.0.0.1:5000/a": {"127.0.0.1:5000/a", "latest"},
	} {
		if r, tag := splitRef(in); r != want[0] || tag != want[1] {
			t.Errorf("splitRef(%q) = %q %q", in, r, tag)
		}
	}
}
