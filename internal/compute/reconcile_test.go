package compute

import (
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
)

func TestStaleTask(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		updated time.Time
		want    bool
	}{
		{time.Time{}, false}, // unknown age: never resumed outside start-up
		{now.Add(-time.Second), false},
		{now.Add(-staleTaskAge), false},
		{now.Add(-staleTaskAge - time.Second), true},
		{now.Add(time.Minute), false}, // a clock ahead of ours
	} {
		if got := staleTask(&model.Container{TaskState: "container_starting", UpdatedAt: tc.updated}, now); got != tc.want {
			t.Errorf("updated %v: stale = %v, want %v", tc.updated, got, tc.want)
		}
	}
}
