package netplane

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
)

// inNetNS runs f on an OS thread switched into the network namespace at
// path ("" = the process's own, f runs as is). Children started by f (nft,
// ip) inherit that namespace, as they are forked from the locked thread.
// The thread is thrown away if it cannot be switched back.
func inNetNS(path string, f func() error) error {
	if path == "" {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("failed to get current netns: %w", err)
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			errc <- fmt.Errorf("failed to open netns %s: %w", path, err)
			runtime.UnlockOSThread()
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- fmt.Errorf("failed to enter netns %s: %w", path, err)
			return
		}
		ferr := f()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: the runtime ends it with the goroutine.
			errc <- ferr
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// run executes a command inside the namespace at nsPath, feeding stdin.
func run(ctx context.Context, nsPath, stdin string, name string, args ...string) (string, error) {
	var out string
	err := inNetNS(nsPath, func() error {
		cmd := exec.CommandContext(ctx, name, args...)
		if stdin != "" {
			cmd.Stdin = strings.NewReader(stdin)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		out = stdout.String()
		return nil
	})
	return out, err
}

// writeSysctl sets a /proc/sys value inside the namespace at nsPath.
func writeSysctl(nsPath, key, value string) error {
	return inNetNS(nsPath, func() error {
		p := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		return os.WriteFile(p, []byte(value), 0o644)
	})
}

// InNetNS runs f on an OS thread switched into the network namespace at
// path: sockets f opens live there (tests and benchmarks use it to be one
// end of a stream inside a container's namespace).
func InNetNS(path string, f func() error) error { return inNetNS(path, f) }
