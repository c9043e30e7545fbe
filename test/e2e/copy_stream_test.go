package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// procMemKiB reads a field (VmRSS, VmHWM) of /proc/<pid>/status.
func procMemKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// resetPeakRSS makes VmHWM start again from the current RSS.
func resetPeakRSS(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0o200); err != nil {
		t.Fatal(err)
	}
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// tarStream sends a raw archive to the streaming put_archive.
func (a *aio) tarStream(method, path string, body io.Reader, size int64) (int, []byte) {
	req, _ := http.NewRequestWithContext(context.Background(), method, a.URL+path, body)
	req.Header.Set("X-Auth-Token", a.admin)
	req.Header.Set("OpenStack-API-Version", "container 1.40")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-tar")
		req.ContentLength = size
	} else {
		req.Header.Set("Accept", "application/x-tar")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}

// TestCopyStreamed: zun cp moves 50 MiB in and out over the console link
// with identical checksums while zun-api's memory stays far below the
// file's size; the copy limit answers 413; the archive rewriting refuses
// every escaping entry on the streamed path too.
func TestCopyStreamed(t *testing.T) {
	requireDocker(t)
	a := startAIO(t, "--max-copy-size", "64")
	a.runInteractive("cps")
	env := a.goCLIEnv()
	zun := filepath.Join(binDir, "zun")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(zun, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("zun %v: %v\n%s", args, err, out)
		}
	}

	local := t.TempDir()
	big := filepath.Join(local, "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{7})
	if _, err := io.CopyN(f, rng, 50<<20); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	want := sha256File(t, big)

	pid := a.Proc.cmd.Process.Pid
	resetPeakRSS(t, pid)
	base := procMemKiB(t, pid, "VmRSS")
	run("cp", big, "cps:/tmp")
	out := t.TempDir()
	run("cp", "cps:/tmp/big.bin", out)
	peak := procMemKiB(t, pid, "VmHWM")
	if got := sha256File(t, filepath.Join(out, "big.bin")); got != want {
		t.Fatalf("copied out %s, want %s", got, want)
	}
	var res struct {
		Output string `json:"output"`
	}
	a.Do("POST", "/v1/containers/cps/execute?command="+urlq("sha256sum /tmp/big.bin"), nil, 200, &res)
	if !strings.HasPrefix(res.Output, want) {
		t.Fatalf("checksum in the container: %q, want %s", res.Output, want)
	}
	// zun-api (with its agent) must not hold the 50 MiB archive.
	t.Logf("zun-api RSS %d KiB before, peak %d KiB during two 50 MiB copies", base, peak)
	if grow := peak - base; grow > 32<<10 {
		t.Fatalf("zun-api's peak RSS grew by %d KiB during the copies", grow)
	}

	// The copy limit (64 MiB here): a declared size, then a file in the
	// container, both 413 before any data moves.
	if st, b := a.tarStream("POST", "/v1/containers/cps/put_archive?path=/tmp", io.LimitReader(rng, 65<<20), 65<<20); st != 413 {
		t.Fatalf("put over the limit: %d %s", st, b)
	}
	// Without a declared size: an archive whose entry passes the limit is
	// refused by the agent while the body still streams, and nothing of
	// it lands.
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		_ = tw.WriteHeader(&tar.Header{Name: "first.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 6})
		_, _ = tw.Write([]byte("first\n"))
		_ = tw.WriteHeader(&tar.Header{Name: "huge.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 70 << 20})
		_, err := io.CopyN(tw, rng, 70<<20)
		pw.CloseWithError(err)
	}()
	if st, b := a.tarStream("POST", "/v1/containers/cps/put_archive?path=/tmp", pr, -1); st != 413 {
		t.Fatalf("chunked put over the limit: %d %s", st, b)
	}
	_ = pr.Close()
	a.Do("POST", "/v1/containers/cps/execute?command="+urlq("ls /tmp"), nil, 200, &res)
	if strings.Contains(res.Output, "first.txt") || strings.Contains(res.Output, "huge.bin") {
		t.Fatalf("a refused archive left files: %q", res.Output)
	}
	a.Do("POST", "/v1/containers/cps/execute?command="+urlq("dd if=/dev/zero of=/tmp/huge bs=1M count=70"), nil, 200, nil)
	if st, b := a.tarStream("GET", "/v1/containers/cps/get_archive?path=/tmp/huge", nil, 0); st != 413 {
		t.Fatalf("get over the limit: %d %s", st, b)
	}
	// The JSON form keeps its own, lower limit (8 MiB)...
	if st, _ := a.doRaw("GET", "/v1/containers/cps/get_archive?path=/tmp/big.bin", a.admin, "1.40", nil); st != 413 {
		t.Fatalf("JSON get_archive of 50 MiB: %d, want 413", st)
	}
	// ...but goes over the console link too: python-zunclient's cp moves
	// 3 MiB, past the 512 KiB of one bus message.
	if _, err := exec.LookPath("zun"); err == nil {
		mid := filepath.Join(local, "mid.bin")
		f, err := os.Create(mid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(f, rng, 3<<20); err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
		pyenv := a.openrcEnv()
		pyOut := t.TempDir()
		for _, args := range [][]string{{"cp", mid, "cps:/root"}, {"cp", "cps:/root/mid.bin", pyOut}} {
			cmd := exec.Command("zun", args...)
			cmd.Env = pyenv
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("python zun %v: %v\n%s", args, err, b)
			}
		}
		if got, want := sha256File(t, filepath.Join(pyOut, "mid.bin")), sha256File(t, mid); got != want {
			t.Fatalf("python cp round trip: %s, want %s", got, want)
		}
	}

	// Canaries: the streamed put refuses what the JSON put refuses.
	canaryDir := t.TempDir()
	canary := filepath.Join(canaryDir, "canary")
	if err := os.WriteFile(canary, []byte("host canary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel := strings.Repeat("../", 12) + strings.TrimPrefix(canary, "/")
	for name, data := range map[string][]byte{
		"dotdot":         makeTar(t, tarEntry{name: rel, typ: tar.TypeReg, body: "owned\n"}),
		"absolute":       makeTar(t, tarEntry{name: canary, typ: tar.TypeReg, body: "owned\n"}),
		"symlink escape": makeTar(t, tarEntry{name: "a", link: canaryDir, typ: tar.TypeSymlink}, tarEntry{name: "a/canary", typ: tar.TypeReg, body: "owned\n"}),
		"symlink climb":  makeTar(t, tarEntry{name: "b", link: rel, typ: tar.TypeSymlink}),
		"hardlink":       makeTar(t, tarEntry{name: "h", link: canary, typ: tar.TypeLink}),
		"device":         makeTar(t, tarEntry{name: "null", typ: tar.TypeChar}),
		"not a tar":      []byte("certainly not a tar archive, just bytes of text that are long enough"),
		// A good entry first: a refused archive writes none of it.
		"late escape": makeTar(t, tarEntry{name: "early.txt", typ: tar.TypeReg, body: "early\n"}, tarEntry{name: rel, typ: tar.TypeReg, body: "owned\n"}),
	} {
		st, body := a.tarStream("POST", "/v1/containers/cps/put_archive?path=/tmp", bytes.NewReader(data), int64(len(data)))
		if st != 400 {
			t.Fatalf("%s: status %d, want 400: %s", name, st, body)
		}
		var env struct {
			Errors []struct{ Detail string } `json:"errors"`
		}
		if json.Unmarshal(body, &env) != nil || len(env.Errors) != 1 || !strings.Contains(env.Errors[0].Detail, "Invalid archive") {
			t.Fatalf("%s: error envelope %s", name, body)
		}
	}
	if b, _ := os.ReadFile(canary); string(b) != "host canary\n" {
		t.Fatalf("host canary changed: %q", b)
	}
	if entries, _ := os.ReadDir(canaryDir); len(entries) != 1 {
		t.Fatalf("host canary directory gained files: %v", entries)
	}
	a.Do("POST", "/v1/containers/cps/execute?command="+urlq("ls /tmp"), nil, 200, &res)
	if strings.Contains(res.Output, "early.txt") {
		t.Fatalf("a refused archive left a file: %q", res.Output)
	}
}
