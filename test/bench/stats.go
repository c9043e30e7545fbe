package main

import (
	"fmt"
	"slices"
	"time"
)

// dist summarises a sample of durations.
type dist struct {
	N                       int
	Min, P50, P90, P95, P99 time.Duration
	Max, Mean               time.Duration
}

func summarize(d []time.Duration) dist {
	if len(d) == 0 {
		return dist{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return dist{
		N: len(s), Min: s[0], Max: s[len(s)-1], Mean: sum / time.Duration(len(s)),
		P50: pct(s, 50), P90: pct(s, 90), P95: pct(s, 95), P99: pct(s, 99),
	}
}

// pct is the nearest-rank percentile of the sorted sample s.
func pct(s []time.Duration, p float64) time.Duration {
	rank := int(p/100*float64(len(s)) + 0.999999)
	rank = max(1, min(rank, len(s)))
	return s[rank-1]
}

// ms formats d in milliseconds.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 0:
		return fmt.Sprintf("%.1f ms", v)
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	default:
		return fmt.Sprintf("%.1f ms", v)
	}
}

// mib formats KiB as MiB.
func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}
