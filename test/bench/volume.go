package main

import (
	"context"
	"fmt"
	"time"
)

// volumeResult is phase 1b: create-to-running with a new 1 GB volume
// (mounts size=1, made on a loop device, formatted ext4, mounted and
// bind-mounted) against the same container without a volume.
type volumeResult struct {
	With, Without []time.Duration
	Err           error
}

// volumeRuns bounds the phase: each run formats a volume.
func volumeRuns(runs int) int { return max(1, min(runs, 10)) }

// phaseVolume runs one warm-up pair, then pairs alternating which path
// goes first; every container (and so its volume) is deleted, untimed,
// before the next run.
func (b *bench) phaseVolume(ctx context.Context, a *aio) volumeResult {
	var res volumeResult
	n := volumeRuns(b.p.runs)
	for i := -1; i < n; i++ {
		withFirst := i%2 == 0
		for k := range 2 {
			with := (k == 0) == withFirst
			body := createReq{Name: fmt.Sprintf("bench-vol-%d-%d", i+1, k), Image: image, Command: command,
				CPU: benchCPU, Memory: fmt.Sprint(benchMiB)}
			if with {
				body.Mounts = []map[string]any{{"size": 1, "destination": "/data"}}
			}
			start := time.Now()
			uuid, err := a.create(ctx, body, true)
			if err == nil {
				err = a.waitStatus(ctx, uuid, "Running", every(b.p.pollInterval), 2*time.Minute)
			}
			d := time.Since(start)
			if uuid != "" {
				if rerr := a.remove(ctx, uuid, time.Minute); rerr != nil && err == nil {
					err = rerr
				}
			}
			if err != nil {
				res.Err = fmt.Errorf("volume run %d: %w", i+1, err)
				return res
			}
			if i < 0 {
				continue
			}
			if with {
				res.With = append(res.With, d)
			} else {
				res.Without = append(res.Without, d)
			}
		}
	}
	return res
}

func (r *report) volumeSection(f printf) []summaryRow {
	f("## 1b. Create-to-Running with a new 1 GB volume\n\n")
	v := r.volume
	if v == nil {
		f("not run\n\n")
		return nil
	}
	f("%d measured runs of each path after one warm-up pair, interleaved; the volume path adds `mounts: [{size: 1, destination: /data}]`: a sparse 1 GiB file, mkfs.ext4, a loop device, a mount and a bind mount. Containers and volumes are deleted, untimed, between runs.\n\n", volumeRuns(r.p.runs))
	failed(f, "phase 1b", v.Err)
	with, without := summarize(v.With), summarize(v.Without)
	f("| path | n | min | p50 | p95 | max |\n|---|---|---|---|---|---|\n")
	f("| with a new 1 GB volume | %d | %s | %s | %s | %s |\n", with.N, ms(with.Min), ms(with.P50), ms(with.P95), ms(with.Max))
	f("| without a volume | %d | %s | %s | %s | %s |\n", without.N, ms(without.Min), ms(without.P50), ms(without.P95), ms(without.Max))
	if with.N == 0 || without.N == 0 {
		f("\n")
		return nil
	}
	added := with.P50 - without.P50
	f("| added by the volume | | | %s | %s | |\n\n", ms(added), ms(with.P95-without.P95))
	return []summaryRow{{"added create-to-running time of a new 1 GB volume, p50", ms(added), "reported", "-"}}
}
