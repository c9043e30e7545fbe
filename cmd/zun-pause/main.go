// Command zun-pause is the process of a capsule's sandbox container: PID 1
// of the namespaces the capsule's containers share. It sleeps, reaps the
// zombies reparented to it (the PID namespace is shared, so orphans of
// every member land here), and exits on SIGTERM or SIGINT. zun-compute
// packs it alone into the image container.SandboxImage; it imports only
// the standard library to stay small and static.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if os.Getpid() != 1 {
		os.Stderr.WriteString("zun-pause: warning: not PID 1, orphans are not reaped here\n")
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	for s := range sigs {
		switch s {
		case syscall.SIGTERM, syscall.SIGINT:
			os.Exit(0)
		case syscall.SIGCHLD:
			reap()
		}
	}
}

// reap collects every exited child without blocking; SIGCHLD signals
// coalesce, so one may stand for many children.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
