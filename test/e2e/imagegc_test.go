package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func imageExists(ref string) bool {
	return exec.Command("docker", "image", "inspect", ref).Run() == nil
}

// TestImageGC: the GC of a host removes the images Zun brought there that
// no container uses, by age or under disk pressure, and keeps used and
// pinned ones.
func TestImageGC(t *testing.T) {
	requireDocker(t)
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"age", []string{"--image-gc-min-age", "2s"}},
		// Every disk is fuller than 0.001%: pressure removes unused images
		// although they are young.
		{"pressure", []string{"--image-gc-min-age", "1h", "--image-gc-high-percent", "1", "--image-gc-low-percent", "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := "zun-gc-" + tc.name + "-" + randSuffix()
			unused, used := repo+":unused", repo+":used"
			for _, ref := range []string{unused, used} {
				docker(t, "tag", "busybox:1.35", ref)
				t.Cleanup(func() { _ = exec.Command("docker", "rmi", ref).Run() })
			}
			a := startAIO(t, append([]string{"--image-gc-interval", "1s", "--image-gc-pinned", "busybox:1.35"}, tc.flags...)...)
			var hosts struct {
				Hosts []struct{ Hostname string }
			}
			a.Do("GET", "/v1/hosts", nil, 200, &hosts)
			host := hosts.Hosts[0].Hostname
			// The container first: from then on its image is in use (the
			// pressure case ignores age).
			var c container
			a.Do("POST", "/v1/containers?run=true", map[string]any{"image": used, "command": []string{"sleep", "300"}}, 202, &c)
			a.WaitStatus(c.UUID, 60*time.Second, "Running")
			for _, tag := range []string{"unused", "1.35"} {
				r := repo
				if tag == "1.35" {
					r = "busybox"
				}
				a.Do("POST", "/v1/images", map[string]any{"repo": r, "tag": tag, "host": host, "image_pull_policy": "ifnotpresent"}, 202, nil)
			}
			waitFor(t, 30*time.Second, func() bool { return !imageExists(unused) })
			var l struct {
				Images []struct{ Repo, Tag string }
			}
			a.Do("GET", "/v1/images", nil, 200, &l)
			var tags []string
			for _, im := range l.Images {
				tags = append(tags, im.Repo+":"+im.Tag)
			}
			got := strings.Join(tags, " ")
			if strings.Contains(got, unused) || !strings.Contains(got, used) || !strings.Contains(got, "busybox:1.35") {
				t.Fatalf("image records after GC: %s", got)
			}
			if !imageExists(used) || !imageExists("busybox:1.35") {
				t.Fatal("the GC removed a used or pinned image")
			}
			a.Do("DELETE", "/v1/containers/"+c.UUID+"?force=true", nil, 204, nil)
		})
	}
}
