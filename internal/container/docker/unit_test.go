package docker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func TestStatsMap(t *testing.T) {
	v1 := &dcontainer.StatsResponse{
		CPUStats: dcontainer.CPUStats{CPUUsage: dcontainer.CPUUsage{TotalUsage: 50}, SystemUsage: 1000, OnlineCPUs: 2},
		MemoryStats: dcontainer.MemoryStats{Usage: 100 * mib, Limit: 400 * mib,
			Stats: map[string]uint64{"total_inactive_file": 20 * mib, "inactive_file": 1}},
		BlkioStats: dcontainer.BlkioStats{IoServiceBytesRecursive: []dcontainer.BlkioStatEntry{
			{Op: "Read", Value: 10}, {Op: "Write", Value: 20}, {Op: "Read", Value: 5}, {Op: "Total", Value: 35}}},
		Networks: map[string]dcontainer.NetworkStats{"eth0": {RxBytes: 1, TxBytes: 2}, "eth1": {RxBytes: 3, TxBytes: 4}},
	}
	got := statsMap("web", v1)
	want := map[string]any{
		StatContainer: "web", StatCPUPercent: 5.0, StatMemUsage: 80.0, StatMemLimit: 400.0,
		StatMemPercent: 20.0, StatBlockIO: "15/20", StatNetIO: "4/6",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("v1 one-shot:\n got %v\nwant %v", got, want)
	}

	v2 := &dcontainer.StatsResponse{
		CPUStats:    dcontainer.CPUStats{CPUUsage: dcontainer.CPUUsage{TotalUsage: 300}, SystemUsage: 3000, OnlineCPUs: 4},
		PreCPUStats: dcontainer.CPUStats{CPUUsage: dcontainer.CPUUsage{TotalUsage: 100}, SystemUsage: 1000},
		MemoryStats: dcontainer.MemoryStats{Usage: 64 * mib, Limit: 128 * mib, Stats: map[string]uint64{"inactive_file": 32 * mib}},
		BlkioStats: dcontainer.BlkioStats{IoServiceBytesRecursive: []dcontainer.BlkioStatEntry{
			{Op: "read", Value: 7}, {Op: "write", Value: 9}}},
	}
	got = statsMap("db", v2)
	// delta 200 / 2000 * 4 CPUs * 100 = 40 %
	want = map[string]any{
		StatContainer: "db", StatCPUPercent: 40.0, StatMemUsage: 32.0, StatMemLimit: 128.0,
		StatMemPercent: 25.0, StatBlockIO: "7/9", StatNetIO: "0/0",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("v2 with previous sample:\n got %v\nwant %v", got, want)
	}

	empty := statsMap("idle", &dcontainer.StatsResponse{})
	if empty[StatCPUPercent] != 0.0 || empty[StatMemPercent] != 0.0 {
		t.Fatalf("empty sample %v", empty)
	}
}

func TestBuffers(t *testing.T) {
	tb := newTailBuffer(10)
	for i := range 100 {
		fmt.Fprintf(tb, "l%d\n", i)
	}
	if got := tb.String(); got != "l98\nl99\n" {
		t.Fatalf("tail = %q", got)
	}
	small := newTailBuffer(100)
	small.Write([]byte("a\nb\n"))
	if got := small.String(); got != "a\nb\n" {
		t.Fatalf("untruncated tail = %q", got)
	}
	big := newTailBuffer(4)
	big.Write([]byte("0123456789"))
	if got := big.String(); len(got) > 4 {
		t.Fatalf("oversized write kept %q", got)
	}

	hb := newHeadBuffer(5)
	hb.Write([]byte("abc"))
	n, err := hb.Write([]byte("defgh"))
	if n != 5 || err != nil || hb.String() != "abcde" || !hb.truncated {
		t.Fatalf("head = %q n=%d err=%v", hb.String(), n, err)
	}
	hb.Write([]byte("more"))
	if hb.String() != "abcde" {
		t.Fatalf("head after cap = %q", hb.String())
	}
}

func TestLogOptions(t *testing.T) {
	cases := []struct {
		in      container.LogOptions
		wantErr error
	}{
		{container.LogOptions{}, nil},
		{container.LogOptions{Tail: "all"}, nil},
		{container.LogOptions{Tail: "10", Since: "1700000000"}, nil},
		{container.LogOptions{Since: "1700000000.5"}, nil},
		{container.LogOptions{Tail: "-1"}, errdefs.ErrInvalidArgument},
		{container.LogOptions{Tail: "ten"}, errdefs.ErrInvalidArgument},
		{container.LogOptions{Since: "yesterday"}, errdefs.ErrInvalidArgument},
		{container.LogOptions{Since: "1e9"}, errdefs.ErrInvalidArgument},
		{container.LogOptions{Since: "-5"}, errdefs.ErrInvalidArgument},
	}
	for _, tc := range cases {
		opts, err := logOptions(tc.in)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%+v: err = %v, want %v", tc.in, err, tc.wantErr)
		}
		if err == nil && !(opts.ShowStdout && opts.ShowStderr) && !tc.in.Stdout && !tc.in.Stderr {
			t.Errorf("%+v: no stream selected", tc.in)
		}
	}
}

func TestTranslate(t *testing.T) {
	cases := []struct {
		in   error
		want error
	}{
		{cerrdefs.ErrNotFound.WithMessage("no such container"), errdefs.ErrNotFound},
		{cerrdefs.ErrConflict.WithMessage("is not running"), errdefs.ErrConflict},
		{cerrdefs.ErrInvalidArgument, errdefs.ErrInvalidArgument},
		{cerrdefs.ErrAlreadyExists, errdefs.ErrAlreadyExists},
		{cerrdefs.ErrUnavailable, errdefs.ErrUnavailable},
		{cerrdefs.ErrPermissionDenied, errdefs.ErrForbidden},
		{cerrdefs.ErrNotImplemented, errdefs.ErrNotImplemented},
		{context.DeadlineExceeded, errdefs.ErrTimeout},
	}
	for _, tc := range cases {
		err := translate("do it", tc.in)
		if !errors.Is(err, tc.want) || !errors.Is(err, tc.in) {
			t.Errorf("translate(%v) = %v, want category %v", tc.in, err, tc.want)
		}
		if !strings.HasPrefix(err.Error(), "failed to do it: ") {
			t.Errorf("message %q", err)
		}
	}
	if translate("x", nil) != nil {
		t.Error("translate(nil) != nil")
	}
	plain := translate("x", errors.New("boom"))
	if errdefs.Code(plain) != "internal" {
		t.Errorf("uncategorised error got category %s", errdefs.Code(plain))
	}
}

func TestEffectivePullPolicy(t *testing.T) {
	cases := []struct{ image, policy, wantRef, want string }{
		{"busybox", "", "busybox:latest", PullAlways},
		{"busybox:latest", "", "busybox:latest", PullAlways},
		{"busybox:1.35", "", "busybox:1.35", PullIfNotPresent},
		{"registry.example.com:5000/team/app:2", "", "registry.example.com:5000/team/app:2", PullIfNotPresent},
		{"busybox@sha256:" + strings.Repeat("a", 64), "", "busybox@sha256:" + strings.Repeat("a", 64), PullIfNotPresent},
		{"busybox", "NEVER", "busybox:latest", PullNever},
	}
	for _, tc := range cases {
		ref, pol, err := EffectivePullPolicy(tc.image, tc.policy)
		if err != nil || ref != tc.wantRef || pol != tc.want {
			t.Errorf("%s/%s = %s, %s, %v; want %s, %s", tc.image, tc.policy, ref, pol, err, tc.wantRef, tc.want)
		}
	}
}

func TestHelpers(t *testing.T) {
	cfg := &dcontainer.Config{ExposedPorts: network.PortSet{
		network.MustParsePort("80/tcp"): {}, network.MustParsePort("80/udp"): {}, network.MustParsePort("443/tcp"): {},
	}}
	if got := fmt.Sprint(exposedPorts(cfg)); got != "[80 443]" {
		t.Errorf("ports = %s", got)
	}
	if got := parseLabels([]string{"a=b", "c=d=e", "flag", "=x"}); fmt.Sprint(got) != "map[a:b c:d=e flag:]" {
		t.Errorf("labels = %v", got)
	}
	if !diskQuotaSupported("btrfs", nil, "/") || diskQuotaSupported("vfs", nil, "/") ||
		diskQuotaSupported("overlay2", [][2]string{{"Backing Filesystem", "extfs"}}, "/") {
		t.Error("diskQuotaSupported misjudges drivers")
	}
	r := resources(0.25, 0)
	if r.CPUShares != 256 || r.NanoCPUs != 2.5e8 || r.Memory != 0 || r.MemorySwap != 0 {
		t.Errorf("resources = %+v", r)
	}
	if got := envList(map[string]string{"B": "2", "A": "1"}); fmt.Sprint(got) != "[A=1 B=2]" {
		t.Errorf("env = %v", got)
	}
}

func TestBindsNeedPreparedHostPaths(t *testing.T) {
	got, err := binds([]model.Mount{
		{Type: model.MountVolume, VolumeID: "v", Destination: "/data", HostPath: "/var/lib/zun/volumes/mnt/v/data"},
		{Type: model.MountBind, Content: "eA==", Destination: "/etc/x", HostPath: "/var/lib/zun/volumes/files/c/1"},
	})
	if err != nil || len(got) != 2 || got[0].Source != "/var/lib/zun/volumes/mnt/v/data" || got[0].Target != "/data" ||
		got[1].Type != mount.TypeBind || got[1].Target != "/etc/x" {
		t.Fatalf("binds = %+v, %v", got, err)
	}
	// A mount the agent did not prepare never reaches the engine (which
	// would create an empty host directory for it).
	if _, err := binds([]model.Mount{{Type: model.MountVolume, VolumeID: "v", Destination: "/data"}}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("unprepared mount: %v", err)
	}
}
