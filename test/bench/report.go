package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// markdown renders the report; phases that failed or did not run say so.
func (r *report) markdown() string {
	var w strings.Builder
	f := func(format string, a ...any) { fmt.Fprintf(&w, format, a...) }
	f("# zun benchmark report\n\n")
	f("- date: %s\n", r.started.UTC().Format(time.RFC3339))
	if r.machine != "" {
		f("- machine: %s\n", r.machine)
	}
	f("- mode: %s; workload: `%s %s`, cpu %.1f, memory %d MiB on both paths; timed waits poll every %s\n",
		map[bool]string{true: "quick (smoke test)", false: "full"}[r.p.quick],
		image, strings.Join(command, " "), benchCPU, benchMiB, r.p.pollInterval)
	f("- load average (1/5/15 min) at start: %s, at end: %s (other work on the machine shares the CPUs and the engine)\n", r.loadBefore, r.loadAfter)
	if r.setupErr != nil {
		f("- **setup failed**: %v\n", r.setupErr)
	}
	f("\n")
	var sum []summaryRow
	sum = append(sum, r.latencySection(f)...)
	sum = append(sum, r.volumeSection(f)...)
	sum = append(sum, r.parallelSection(f)...)
	sum = append(sum, r.scaleSection(f)...)
	sum = append(sum, r.memorySection(f)...)
	sum = append(sum, r.capsuleSection(f)...)
	sum = append(sum, r.wsproxySection(f)...)
	sum = append(sum, r.networkSection(f)...)

	f("## Targets\n\n| metric | measured | target | result |\n|---|---|---|---|\n")
	for _, s := range sum {
		f("| %s | %s | %s | %s |\n", s.metric, s.measured, s.target, s.result)
	}
	f("\n")
	return w.String()
}

type summaryRow struct{ metric, measured, target, result string }

type printf func(format string, a ...any)

func failed(f printf, what string, err error) {
	if err != nil {
		f("**%s failed**: %v\n\n", what, err)
	}
}

func (r *report) latencySection(f printf) []summaryRow {
	f("## 1. Create-to-Running, one at a time\n\n")
	l := r.latency
	if l == nil {
		f("not run\n\n")
		return nil
	}
	f("%d measured runs of each path after one warm-up round, interleaved (the first path rotates); each container is deleted, untimed, before the next run. The API path is measured twice: polling GET %s (the target: before the engine has started the container the API cannot show it Running, so faster polling there only takes CPU from the engine, while the floor's client sleeps in its start call), and polling GET %s from the POST on (diagnostic: the cost of the polling itself).\n\n",
		r.p.runs, l.Gated, l.Const)
	failed(f, "phase 1", l.Err)
	api, apiConst, raw := summarize(l.API.Total), summarize(l.APIConst.Total), summarize(l.Raw)
	f("| path | n | min | p50 | p95 | max | mean |\n|---|---|---|---|---|---|---|\n")
	f("| Zun API: POST ?run=true, GET until Running and no task (gated polling) | %d | %s | %s | %s | %s | %s |\n", api.N, ms(api.Min), ms(api.P50), ms(api.P95), ms(api.Max), ms(api.Mean))
	f("| Zun API, diagnostic: GET %s throughout | %d | %s | %s | %s | %s | %s |\n", l.Const, apiConst.N, ms(apiConst.Min), ms(apiConst.P50), ms(apiConst.P95), ms(apiConst.Max), ms(apiConst.Mean))
	f("| floor: Docker Engine API create + start, inspect until running | %d | %s | %s | %s | %s | %s |\n", raw.N, ms(raw.Min), ms(raw.P50), ms(raw.P95), ms(raw.Max), ms(raw.Mean))
	if api.N == 0 || raw.N == 0 {
		f("\n")
		return nil
	}
	o50, o95 := api.P50-raw.P50, api.P95-raw.P95
	f("| overhead (API gated − floor) | | | %s | %s | | |\n", ms(o50), ms(o95))
	f("| ratio (API gated / floor) | | | %.2f× | %.2f× | | |\n", ratio(api.P50, raw.P50), ratio(api.P95, raw.P95))
	if apiConst.N > 0 {
		f("| diagnostic overhead (API %s − floor) | | | %s | %s | | |\n", l.Const, ms(apiConst.P50-raw.P50), ms(apiConst.P95-raw.P95))
	}
	f("\n")
	r.breakdown(f, l)
	return []summaryRow{
		{"create-to-running overhead p50", fmt.Sprintf("%s (API %s, floor %s; polling %s throughout: %s)", ms(o50), ms(api.P50), ms(raw.P50), l.Const, ms(apiConst.P50-raw.P50)), "<= 50 ms", verdict(o50 <= 50*time.Millisecond)},
		{"create-to-running overhead p95", fmt.Sprintf("%s (API %s, floor %s; polling %s throughout: %s)", ms(o95), ms(api.P95), ms(raw.P95), l.Const, ms(apiConst.P95-raw.P95)), "<= 100 ms", verdict(o95 <= 100*time.Millisecond)},
	}
}

// breakdown prints where the time of each path goes, from the engine's
// create/start events (API paths) and the client calls (floor).
func (r *report) breakdown(f printf, l *latencyResult) {
	f("Where the time goes (engine event times for the API paths; the create event is sent when the engine's create finishes, the start event when its start finishes):\n\n")
	f("| step | n | p50 | p95 |\n|---|---|---|---|\n")
	row := func(name string, d []time.Duration) {
		s := summarize(d)
		f("| %s | %d | %s | %s |\n", name, s.N, ms(s.P50), ms(s.P95))
	}
	for _, p := range []struct {
		name string
		s    *apiSteps
	}{{"API gated", &l.API}, {"API " + l.Const.String(), &l.APIConst}} {
		row(p.name+": POST round trip (202)", p.s.Post)
		row(p.name+": POST sent → engine create done (schedule, RPC, agent, docker create)", p.s.ToCreate)
		row(p.name+": engine create done → engine start done", p.s.CreateToStart)
		row(p.name+": engine start done → GET shows Running, no task", p.s.StartToRunning)
	}
	row("floor: create call", l.RawCreate)
	row("floor: start call + inspect until running", l.RawStart)
	f("\n")
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func medianDur(d []time.Duration) time.Duration { return summarize(d).P50 }

func (r *report) parallelSection(f printf) []summaryRow {
	f("## 2. Parallel creates until all Running\n\n")
	p := r.parallel
	if p == nil {
		f("not run\n\n")
		return nil
	}
	f("%d containers at once, %d round(s) of each path (the first path alternates); each API waiter polls GET %s (the floor's waiters inspect every %s after their start call); everything deleted between bursts.\n\n", p.N, len(p.Rounds), p.Poll, r.p.pollInterval)
	failed(f, "phase 2", p.Err)
	if len(p.Rounds) == 0 {
		return nil
	}
	f("| round | Zun API wall | floor wall | ratio |\n|---|---|---|---|\n")
	var apis, raws []time.Duration
	for i, rd := range p.Rounds {
		f("| %d | %s | %s | %.2f× |\n", i+1, ms(rd.API), ms(rd.Raw), ratio(rd.API, rd.Raw))
		apis, raws = append(apis, rd.API), append(raws, rd.Raw)
	}
	ma, mr := medianDur(apis), medianDur(raws)
	rt := ratio(ma, mr)
	f("| median | %s | %s | %.2f× |\n\n", ms(ma), ms(mr), rt)
	diag := ""
	for _, d := range r.parDiag {
		failed(f, "phase 2 diagnostic", d.Err)
		for _, rd := range d.Rounds {
			f("Diagnostic, not the target: one more round with the API waiters polling GET %s (%d waiters at most %.0f GET/s on the same CPUs as the engine): API %s, floor %s, ratio %.2f×.\n\n",
				d.Poll, p.N, float64(p.N)*float64(time.Second)/float64(d.Poll.fast), ms(rd.API), ms(rd.Raw), ratio(rd.API, rd.Raw))
			diag += fmt.Sprintf("; polling %s: %.2f×", d.Poll, ratio(rd.API, rd.Raw))
		}
	}
	return []summaryRow{{fmt.Sprintf("%d parallel creates, wall ratio API/floor", p.N), fmt.Sprintf("%.2f× (API %s, floor %s%s)", rt, ma.Round(time.Millisecond), mr.Round(time.Millisecond), diag), "<= 1.2×", verdict(rt <= 1.2)}}
}

func (r *report) scaleSection(f printf) []summaryRow {
	f("## 3. GET one container with %d in the store (fake driver)\n\n", r.p.scaleN)
	s := r.scale
	if s == nil {
		f("not run\n\n")
		return nil
	}
	f("Separate all-in-one with `--driver fake --cpu-allocation-ratio 1000 --ram-allocation-ratio 1000`; containers created through the API (run=false, cpu 0.1, memory 4) by %d workers, each waiting for Created. Then `GET /v1/containers/{uuid}` of one container with the admin token (validated on every request) from %d goroutines over one keep-alive client, %s warm-up then a %s window. The load generator shares the machine's CPUs with the server.\n\n",
		r.p.createPool, s.Goroutines, r.p.hammerWarm, r.p.hammerDur)
	failed(f, "phase 3", s.Err)
	if s.CreateWall > 0 {
		f("| creates | wall | creates/s |\n|---|---|---|\n| %d | %s | %.0f |\n\n", s.N, s.CreateWall.Round(time.Millisecond), float64(s.N)/s.CreateWall.Seconds())
	}
	if s.Window == 0 {
		return nil
	}
	f("| requests | non-200 | window | req/s | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|---|\n")
	f("| %d | %d | %s | %.0f | %s | %s | %s | %s |\n\n", s.Requests, s.Errors, s.Window.Round(time.Millisecond), s.rps(), ms(s.Lat.P50), ms(s.Lat.P90), ms(s.Lat.P99), ms(s.Lat.Max))
	return []summaryRow{
		{fmt.Sprintf("GET throughput, %d containers", s.N), fmt.Sprintf("%.0f req/s (%d non-200)", s.rps(), s.Errors), ">= 10000 req/s", verdict(s.rps() >= 10000 && s.Errors == 0)},
		{fmt.Sprintf("GET p99, %d goroutines", s.Goroutines), ms(s.Lat.P99), "< 10 ms", verdict(s.Lat.N > 0 && s.Lat.P99 < 10*time.Millisecond)},
	}
}

func (r *report) memorySection(f printf) []summaryRow {
	f("## 4. Resident memory\n\nVmRSS and VmHWM (peak) from /proc/PID/status. Targets in MB (10⁶ bytes).\n\n")
	f("| process, state | VmRSS | VmHWM | target | result |\n|---|---|---|---|---|\n")
	var rows []memResult
	rows = append(rows, r.idle)
	if r.many != nil {
		rows = append(rows, *r.many)
	}
	if r.scale != nil {
		rows = append(rows, r.scale.MemCreated, r.scale.MemHammered)
	}
	if r.compute != nil {
		rows = append(rows, *r.compute)
	}
	if r.apiOnly != nil {
		rows = append(rows, *r.apiOnly)
	}
	var sum []summaryRow
	var errs []string
	for _, m := range rows {
		if m.What == "" {
			continue
		}
		target, result := "–", "–"
		if m.Err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", m.What, m.Err))
			result = "**failed**"
		}
		if m.Target > 0 {
			target = fmt.Sprintf("< %d MB", m.Target/1_000_000)
			if m.Err == nil {
				result = verdict(m.Mem.RSS*1024 < m.Target)
			}
			sum = append(sum, summaryRow{"RSS " + m.What, mbmib(m.Mem.RSS), target, result})
		}
		f("| %s | %s | %s | %s | %s |\n", m.What, mbmib(m.Mem.RSS), mbmib(m.Mem.HWM), target, result)
	}
	f("\n")
	for _, e := range slices.Compact(errs) {
		f("- **failed**: %s\n", e)
	}
	if len(errs) > 0 {
		f("\n")
	}
	return sum
}

// mbmib formats KiB as decimal MB with the MiB value beside it.
func mbmib(kib int64) string {
	if kib == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MB (%s)", float64(kib)*1024/1e6, mib(kib))
}
