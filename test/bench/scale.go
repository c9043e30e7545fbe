package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// scaleResult is phase 3: GET of one container with many in the store.
type scaleResult struct {
	N           int
	CreateWall  time.Duration
	Goroutines  int
	Window      time.Duration
	Requests    int
	Errors      int
	Lat         dist
	MemCreated  memResult // after the creates
	MemHammered memResult // after the GET load
	Err         error
}

func (r scaleResult) rps() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Window.Seconds()
}

// phaseScale starts an all-in-one with the fake driver, fills it with
// b.p.scaleN containers and hammers GET of one of them.
func (b *bench) phaseScale(ctx context.Context) scaleResult {
	res := scaleResult{N: b.p.scaleN, Goroutines: b.p.hammerG}
	// No tenant networking: 10,000 containers would need as many addresses
	// of the project's network, and the phase measures the store and API.
	a, err := b.startAIO(ctx, "fake", true, "--driver", "fake", "--networking", "none",
		"--cpu-allocation-ratio", "1000", "--ram-allocation-ratio", "1000")
	if err != nil {
		res.Err = err
		return res
	}
	defer a.stop()
	if err := b.checkCapacity(ctx, a); err != nil {
		res.Err = err
		return res
	}

	uuids := make([]string, b.p.scaleN)
	start := time.Now()
	var done sync.WaitGroup
	progress := make(chan struct{})
	done.Go(func() { b.reportProgress(progress, start, "phase 3 creates", b.p.scaleN) })
	err = pool(ctx, b.p.scaleN, b.p.createPool, func(ctx context.Context, i int) error {
		body := createReq{Name: fmt.Sprintf("scale-%d", i), Image: image, Command: command, CPU: 0.1, Memory: "4"}
		uuid, err := a.create(ctx, body, false)
		if err != nil {
			return err
		}
		uuids[i] = uuid
		return a.waitStatus(ctx, uuid, "Created", every(10*time.Millisecond), 2*time.Minute)
	})
	close(progress)
	done.Wait()
	res.CreateWall = time.Since(start)
	if err != nil {
		res.Err = fmt.Errorf("creating %d containers: %w", b.p.scaleN, err)
		return res
	}
	if h, err := a.hostView(ctx, a.host); err == nil {
		b.log.Info("phase 3 store filled", "containers", h.TotalContainers, "cpu_used", h.CPUUsed, "mem_used", h.MemUsed, "took", res.CreateWall.Round(time.Millisecond))
	}
	time.Sleep(time.Second)
	res.MemCreated = readMem(fmt.Sprintf("all-in-one (fake driver), %d containers in store", b.p.scaleN), a.proc, 0)

	target := uuids[len(uuids)/2]
	b.hammer(ctx, a, target, b.p.hammerWarm)
	lat, errs, window := b.hammer(ctx, a, target, b.p.hammerDur)
	res.Lat, res.Errors, res.Window = summarize(lat), errs, window
	res.Requests = len(lat) + errs
	res.MemHammered = readMem(fmt.Sprintf("all-in-one (fake driver), %d containers, after the GET load", b.p.scaleN), a.proc, 0)
	if ctx.Err() != nil {
		res.Err = ctx.Err()
	}
	return res
}

// checkCapacity fails early when the fake host cannot hold the containers.
func (b *bench) checkCapacity(ctx context.Context, a *aio) error {
	h, err := a.hostView(ctx, a.host)
	if err != nil {
		return err
	}
	needCPU, needMem := 0.1*float64(b.p.scaleN), int64(4*b.p.scaleN)
	b.log.Info("fake host", "cpus", h.CPUs, "mem_total_mib", h.MemTotal, "need_cpu", needCPU, "need_mem_mib", needMem)
	if float64(h.CPUs)*1000 < needCPU || h.MemTotal*1000 < needMem {
		return fmt.Errorf("fake host %s (cpus %d, mem %d MiB, ratios 1000) cannot hold %d x (cpu 0.1, memory 4)", h.Hostname, h.CPUs, h.MemTotal, b.p.scaleN)
	}
	return nil
}

func (b *bench) reportProgress(stop <-chan struct{}, start time.Time, what string, total int) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			b.log.Info(what, "elapsed", time.Since(start).Round(time.Second), "total", total)
		}
	}
}

// hammer sends GET /v1/containers/{uuid} from b.p.hammerG goroutines over
// one keep-alive client for d and returns the latencies of the 200s, the
// count of other answers and the measured window.
func (b *bench) hammer(ctx context.Context, a *aio, uuid string, d time.Duration) ([]time.Duration, int, time.Duration) {
	hc := newHTTPClient(2 * b.p.hammerG)
	defer hc.CloseIdleConnections()
	url := a.base + "/v1/containers/" + uuid
	lats := make([][]time.Duration, b.p.hammerG)
	errs := make([]int, b.p.hammerG)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for g := range b.p.hammerG {
		wg.Go(func() {
			own := make([]time.Duration, 0, 1<<16)
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					break
				}
				if getOnce(ctx, hc, url, a.token) {
					own = append(own, time.Since(t0))
				} else {
					errs[g]++
				}
			}
			lats[g] = own
		})
	}
	wg.Wait()
	window := time.Since(start)
	var all []time.Duration
	nerr := 0
	for g := range lats {
		all = append(all, lats[g]...)
		nerr += errs[g]
	}
	return all, nerr, window
}

// getOnce sends one GET with the token and reports whether it answered 200.
func getOnce(ctx context.Context, hc *http.Client, url, token string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("OpenStack-API-Version", apiVersion)
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
