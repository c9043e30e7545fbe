package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// bench is one run of the driver.
type bench struct {
	p      params
	log    *slog.Logger
	runID  string
	clean  *cleaner
	engine *engine // raw Docker client; nil until connected
}

// aio is an all-in-one started by the driver.
type aio struct {
	*zclient
	name string
	dir  string
	host string // compute host name (zun.host label of its containers)
	proc *proc
	stop func() // stops it, removes leftover containers and its dir
	// events follows the engine's events of its containers (docker
	// driver phases only).
	events *eventLog
}

// startProc starts a service binary logging to logPath; with -keep-logs
// the log is copied there, as NAME-TAG.log, when the driver exits.
func (b *bench) startProc(name, logPath, tag string, args ...string) (*proc, error) {
	p, err := startProc(b.p.bin, name, logPath, args...)
	if err != nil || b.p.keepLogs == "" {
		return p, err
	}
	b.clean.add("keep log of "+name, func(context.Context) error {
		data, err := os.ReadFile(logPath)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(b.p.keepLogs, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.p.keepLogs, name+"-"+tag+".log"), data, 0o644)
	})
	return p, nil
}

// tempDir makes a directory removed at exit.
func (b *bench) tempDir(name string) (string, error) {
	dir, err := os.MkdirTemp("", "zun-bench-"+b.runID+"-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("failed to create temp dir: %w", err)
	}
	b.clean.add("remove "+dir, func(context.Context) error { return os.RemoveAll(dir) })
	return dir, nil
}

// startAIO starts bin/zun-api --all-in-one with extra flags and waits until
// it answers, issues a token and (with a compute agent) lists its host.
func (b *bench) startAIO(ctx context.Context, name string, withCompute bool, extra ...string) (*aio, error) {
	dir, err := b.tempDir(name)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host := "bench-" + b.runID + "-" + name
	args := append([]string{"--all-in-one", "--data-dir", filepath.Join(dir, "data"), "--listen", addr, "--host", host, "--log-level", b.p.logLevel}, extra...)
	p, err := b.startProc("zun-api", filepath.Join(dir, "zun-api.log"), name, args...)
	if err != nil {
		return nil, err
	}
	a := &aio{
		zclient: &zclient{base: "http://" + addr, hc: newHTTPClient(64)},
		name:    name, dir: filepath.Join(dir, "data"), host: host, proc: p,
	}
	a.stop = b.clean.add("stop all-in-one "+name, func(ctx context.Context) error {
		err := p.stop(ctx, 20*time.Second)
		if b.engine != nil {
			if rerr := b.engine.removeLabeled(ctx, "zun.host", host); rerr != nil && err == nil {
				err = rerr
			}
		}
		return err
	})
	b.log.Info("starting all-in-one", "name", name, "listen", addr, "args", strings.Join(args, " "))
	if err := b.waitReady(ctx, a, withCompute); err != nil {
		b.log.Error("all-in-one did not become ready", "name", name, "log", p.logTail(30))
		a.stop()
		return nil, err
	}
	if err := a.liftQuota(ctx); err != nil {
		a.stop()
		return nil, fmt.Errorf("failed to lift quota: %w", err)
	}
	return a, nil
}

func (b *bench) waitReady(ctx context.Context, a *aio, withCompute bool) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var last error
	for {
		last = a.ready(ctx, withCompute)
		if last == nil {
			return nil
		}
		if a.proc.exited() {
			return fmt.Errorf("all-in-one %s exited: %w", a.name, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("all-in-one %s not ready: %w", a.name, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (a *aio) ready(ctx context.Context, withCompute bool) error {
	pw, err := os.ReadFile(filepath.Join(a.dir, "admin-password"))
	if err != nil {
		return fmt.Errorf("no admin password yet: %w", err)
	}
	if err := a.authenticate(ctx, strings.TrimSpace(string(pw))); err != nil {
		return err
	}
	if !withCompute {
		_, err := a.hosts(ctx)
		return err
	}
	return a.waitHost(ctx, a.host)
}

// waitHost fails unless the compute host named host is listed.
func (a *aio) waitHost(ctx context.Context, host string) error {
	hs, err := a.hosts(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(hs, func(h hostView) bool { return h.Hostname == host }) {
		return fmt.Errorf("host %s not registered yet", host)
	}
	return nil
}

// hostView returns the view of the host named name.
func (a *aio) hostView(ctx context.Context, name string) (hostView, error) {
	hs, err := a.hosts(ctx)
	if err != nil {
		return hostView{}, err
	}
	for _, h := range hs {
		if h.Hostname == name {
			return h, nil
		}
	}
	return hostView{}, fmt.Errorf("host %s not listed: %w", name, errNotFound)
}

var errNotFound = fmt.Errorf("not found (status %d)", http.StatusNotFound)
