package e2e

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// build100MBImage builds offline an image of busybox's tree plus a 100 MB
// random file (docker export | add file | docker import) and writes its
// `docker save` archive to path. It returns the image reference.
func build100MBImage(b *testing.B, path string) string {
	b.Helper()
	ref := "zun-bench-100m:" + randSuffix()
	id, err := exec.Command("docker", "create", "busybox:1.35", "true").Output()
	if err != nil {
		b.Fatal(err)
	}
	cid := strings.TrimSpace(string(id))
	defer func() { _ = exec.Command("docker", "rm", "-f", cid).Run() }()
	export := exec.Command("docker", "export", cid)
	rootfs, _ := export.StdoutPipe()
	imp := exec.Command("docker", "import", "-", ref)
	pr, pw := io.Pipe()
	imp.Stdin = pr
	if err := export.Start(); err != nil {
		b.Fatal(err)
	}
	if err := imp.Start(); err != nil {
		b.Fatal(err)
	}
	tw := tar.NewWriter(pw)
	tr := tar.NewReader(rootfs)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		_ = tw.WriteHeader(h)
		_, _ = io.Copy(tw, tr)
	}
	const size = 100 << 20
	_ = tw.WriteHeader(&tar.Header{Name: "big.bin", Mode: 0o644, Size: size, ModTime: time.Now()})
	if _, err := io.CopyN(tw, rand.Reader, size); err != nil {
		b.Fatal(err)
	}
	_ = tw.Close()
	_ = pw.Close()
	if err := export.Wait(); err != nil {
		b.Fatal(err)
	}
	if err := imp.Wait(); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("docker", "save", "-o", path, ref).CombinedOutput(); err != nil {
		b.Fatalf("docker save: %v %s", err, out)
	}
	return ref
}

// BenchmarkImageLoad100MB compares the glance image driver's load of a
// 100 MB image (signed download from the image service, SHA-256 and MD5
// check, archive check, docker load; POST /v1/images until the host's
// record is ready) with a plain `docker load -i` of the same file. The
// engine's copy is removed before every iteration, and each glance
// iteration uses a new image-service image, so the host cache never hits.
func BenchmarkImageLoad100MB(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		b.Skip("needs the Docker engine")
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "img.tar")
	ref := build100MBImage(b, file)
	rmi := func() { _ = exec.Command("docker", "rmi", "-f", ref).Run() }
	defer rmi()

	b.Run("docker-load", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			rmi()
			b.StartTimer()
			if out, err := exec.Command("docker", "load", "-q", "-i", file).CombinedOutput(); err != nil {
				b.Fatalf("docker load: %v %s", err, out)
			}
		}
	})

	b.Run("glance-driver", func(b *testing.B) {
		a := startAIO(b)
		var hosts struct {
			Hosts []struct{ Hostname string }
		}
		a.Do("GET", "/v1/hosts", nil, 200, &hosts)
		host := hosts.Hosts[0].Hostname
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			b.StopTimer()
			rmi()
			var im struct{ ID string }
			a.rawJSON("POST", "/image/v2/images", map[string]any{"name": "bench-" + randSuffix(), "container_format": "docker", "disk_format": "raw"}, 201, &im)
			if st, body := a.doRawBody("PUT", "/image/v2/images/"+im.ID+"/file", data); st != 204 {
				b.Fatalf("upload: %d %s", st, body)
			}
			b.StartTimer()
			var rec struct{ UUID string }
			a.Do("POST", "/v1/images", map[string]any{"repo": im.ID, "host": host}, 202, &rec)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			for {
				var got struct{ Status, Reason string }
				a.Do("GET", "/v1/images/"+rec.UUID, nil, 200, &got)
				if got.Status == "ready" {
					break
				}
				if got.Status == "error" {
					b.Fatalf("glance load failed: %s", got.Reason)
				}
				select {
				case <-ctx.Done():
					b.Fatal("glance load timed out")
				case <-time.After(10 * time.Millisecond):
				}
			}
			cancel()
		}
	})
}
