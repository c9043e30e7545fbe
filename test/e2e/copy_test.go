package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type tarEntry struct {
	name, link string
	typ        byte
	body       string
}

func makeTar(t *testing.T, es ...tarEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(e.body))
	}
	_ = tw.Close()
	return b.Bytes()
}

// TestCopyAndExec: zun cp in and out (Go CLI and python-zunclient), files
// and directories; archives that climb out are refused and host canary
// files stay untouched; non-interactive exec is bounded in time and
// output.
func TestCopyAndExec(t *testing.T) {
	requireDocker(t)
	a := startAIO(t)
	c := a.runInteractive("cpx")
	env := a.goCLIEnv()
	zun := filepath.Join(binDir, "zun")
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}

	// In and out, a file and a directory, with our CLI.
	local := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "note.txt"), []byte("hello file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(local, "tree", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "tree", "sub", "deep.txt"), []byte("deep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(zun, "cp", filepath.Join(local, "note.txt"), "cpx:/tmp")
	run(zun, "cp", filepath.Join(local, "tree"), "cpx:/tmp")
	var res struct {
		Output   string `json:"output"`
		ExitCode int    `json:"exit_code"`
	}
	execOK := func(cmd string) {
		t.Helper()
		// A loaded machine can miss the 5 s exec timeout: retry then.
		for i := 0; ; i++ {
			st, b := a.doRaw("POST", "/v1/containers/cpx/execute?command="+urlq(cmd), a.admin, "1.40", nil)
			if st == 200 {
				_ = json.Unmarshal(b, &res)
				return
			}
			if st != 409 || i == 3 {
				t.Fatalf("exec %q: %d %s", cmd, st, b)
			}
		}
	}
	execOK("cat /tmp/note.txt /tmp/tree/sub/deep.txt")
	if res.Output != "hello file\ndeep\n" {
		t.Fatalf("files in the container: %q", res.Output)
	}
	out := t.TempDir()
	run(zun, "cp", "cpx:/tmp/tree", out)
	run(zun, "cp", "cpx:/tmp/note.txt", out)
	for p, want := range map[string]string{"tree/sub/deep.txt": "deep\n", "note.txt": "hello file\n"} {
		b, err := os.ReadFile(filepath.Join(out, p))
		if err != nil || string(b) != want {
			t.Fatalf("%s copied out: %q %v", p, b, err)
		}
	}
	// python-zunclient's cp, both ways.
	if _, err := exec.LookPath("zun"); err == nil {
		pyenv := a.openrcEnv()
		cmd := exec.Command("zun", "cp", filepath.Join(local, "note.txt"), "cpx:/root")
		cmd.Env = pyenv
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python cp in: %v\n%s", err, b)
		}
		pyOut := t.TempDir()
		cmd = exec.Command("zun", "cp", "cpx:/root/note.txt", pyOut)
		cmd.Env = pyenv
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python cp out: %v\n%s", err, b)
		}
		if b, _ := os.ReadFile(filepath.Join(pyOut, "note.txt")); string(b) != "hello file\n" {
			t.Fatalf("python cp round trip: %q", b)
		}
	}

	// Host canaries: a directory whose path the archives aim at.
	canaryDir := t.TempDir()
	canary := filepath.Join(canaryDir, "canary")
	if err := os.WriteFile(canary, []byte("host canary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel := strings.Repeat("../", 12) + strings.TrimPrefix(canary, "/")
	for name, data := range map[string][]byte{
		"dotdot":          makeTar(t, tarEntry{name: rel, typ: tar.TypeReg, body: "owned\n"}),
		"absolute":        makeTar(t, tarEntry{name: canary, typ: tar.TypeReg, body: "owned\n"}),
		"symlink escape":  makeTar(t, tarEntry{name: "a", link: canaryDir, typ: tar.TypeSymlink}, tarEntry{name: "a/canary", typ: tar.TypeReg, body: "owned\n"}),
		"symlink climb":   makeTar(t, tarEntry{name: "b", link: rel, typ: tar.TypeSymlink}),
		"hardlink":        makeTar(t, tarEntry{name: "h", link: canary, typ: tar.TypeLink}),
		"device":          makeTar(t, tarEntry{name: "null", typ: tar.TypeChar}),
		"not a tar":       []byte("certainly not a tar archive, just bytes of text that are long enough"),
		"empty dest name": makeTar(t, tarEntry{name: ".", typ: tar.TypeReg, body: "x"}),
	} {
		st, body := a.doRaw("POST", "/v1/containers/cpx/put_archive?path=/tmp", a.admin, "1.40",
			map[string]string{"data": base64.StdEncoding.EncodeToString(data)})
		if st != 400 {
			t.Fatalf("%s: status %d, want 400: %s", name, st, body)
		}
	}
	if b, _ := os.ReadFile(canary); string(b) != "host canary\n" {
		t.Fatalf("host canary changed: %q", b)
	}
	entries, _ := os.ReadDir(canaryDir)
	if len(entries) != 1 {
		t.Fatalf("host canary directory gained files: %v", entries)
	}
	// A link inside the container to the canary's path resolves inside
	// the container: get_archive never returns the host file.
	execOK("ln -s " + canary + " /tmp/lnk")
	var ga struct {
		Data string `json:"data"`
	}
	a.Do("GET", "/v1/containers/cpx/get_archive?path=/tmp/lnk", nil, 200, &ga)
	raw, _ := base64.StdEncoding.DecodeString(ga.Data)
	if bytes.Contains(raw, []byte("host canary")) {
		t.Fatal("get_archive returned a host file")
	}
	if st, _ := a.doRaw("GET", "/v1/containers/cpx/get_archive?path=/tmp/lnk/", a.admin, "1.40", nil); st == 200 {
		t.Fatal("get_archive followed a link to a host path")
	}
	// A setuid file arrives without its set-id bit.
	a.doRaw("POST", "/v1/containers/cpx/put_archive?path=/tmp", a.admin, "1.40",
		map[string]string{"data": base64.StdEncoding.EncodeToString(suidTar(t))})
	execOK("stat -c %a /tmp/suid")
	if strings.TrimSpace(res.Output) != "755" {
		t.Fatalf("suid file mode in the container: %q", res.Output)
	}

	// Non-interactive exec: 409 past 5 s, output capped.
	start := time.Now()
	if st, body := a.doRaw("POST", "/v1/containers/cpx/execute?command="+urlq("sleep 30"), a.admin, "1.40", nil); st != 409 {
		t.Fatalf("long exec: %d %s", st, body)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("long exec answered after %s", d)
	}
	execOK("head -c 5000000 /dev/zero")
	if len(res.Output) > 512<<10 || len(res.Output) == 0 {
		t.Fatalf("exec output of %d bytes, want capped at 512 KiB", len(res.Output))
	}
	_ = c
}

func suidTar(t *testing.T) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = tw.WriteHeader(&tar.Header{Name: "suid", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 3})
	_, _ = tw.Write([]byte("#!\n"))
	_ = tw.Close()
	return b.Bytes()
}

func urlq(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "&", "%26", "+", "%2B", "/", "%2F", "$", "%24", "?", "%3F", "#", "%23").Replace(s)
}
