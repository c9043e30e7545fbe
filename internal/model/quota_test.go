package model

import (
	"slices"
	"testing"
)

func TestOvers(t *testing.T) {
	limits := QuotaLimits{QuotaContainers: 5, QuotaCPU: 1, QuotaMemory: -1, QuotaDisk: 10}
	cases := []struct {
		name         string
		usage, delta QuotaUsage
		want         []string
	}{
		{"fits", QuotaUsage{Containers: 4}, QuotaUsage{Containers: 1, CPU: 0.5}, nil},
		{"containers", QuotaUsage{Containers: 5}, QuotaUsage{Containers: 1}, []string{"containers"}},
		{"sorted", QuotaUsage{Containers: 5, CPU: 1, Disk: 10}, QuotaUsage{Containers: 1, CPU: 0.1, Disk: 1}, []string{"containers", "cpu", "disk"}},
		{"unlimited", QuotaUsage{Memory: 1 << 40}, QuotaUsage{Memory: 1 << 40}, nil},
		{"shrink above the limit", QuotaUsage{Containers: 9, CPU: 3}, QuotaUsage{CPU: -1}, nil},
		{"fractional exact fit", QuotaUsage{CPU: 0.1 + 0.2}, QuotaUsage{CPU: 0.7}, nil},
		{"fractional over", QuotaUsage{CPU: 0.3}, QuotaUsage{CPU: 0.71}, []string{"cpu"}},
	}
	for _, tc := range cases {
		if got := Overs(limits, tc.usage, tc.delta); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Overs = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !slices.IsSorted(QuotaResources) {
		t.Error("QuotaResources must be sorted: Zun reports sorted resources")
	}
}
