package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// testVolumeQuotas checks Cinder's volumes and gigabytes limits: defaults,
// overrides, scoping, the refusal's text, and that a burst of creates
// never passes a limit.
func testVolumeQuotas(t *testing.T, s store.Store) {
	vs := s.Volumes()
	l, u, err := vs.Quota(asProject(projectA), projectA)
	noErr(t, err, "Quota")
	if l[model.VolumeQuotaVolumes] != 10 || l[model.VolumeQuotaGigabytes] != 1000 || u != (model.VolumeUsage{}) {
		t.Fatalf("defaults: %v %+v", l, u)
	}
	_, _, err = vs.Quota(asProject(projectB), projectA)
	wantErr(t, err, errdefs.ErrNotFound, "another project's quota")
	wantErr(t, vs.SetQuota(asAdminAll(), projectA, model.QuotaLimits{"disk": 3}), errdefs.ErrInvalidArgument, "unknown resource")
	wantErr(t, vs.SetQuota(asAdminAll(), projectA, model.QuotaLimits{"volumes": -2}), errdefs.ErrInvalidArgument, "below -1")
	noErr(t, vs.SetQuota(asAdminAll(), projectA, model.QuotaLimits{"gigabytes": 10, "volumes": 4}), "SetQuota")
	// Zun's container quotas do not see the volume limits.
	zl, err := s.Quotas().Limits(asProject(projectA), projectA)
	noErr(t, err, "container Limits")
	if _, ok := zl["volumes"]; ok {
		t.Fatalf("container limits show volume quotas: %v", zl)
	}

	const n = 12
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		other   []error
	)
	for i := range n {
		wg.Go(func() {
			err := vs.CreateInQuota(asProject(projectA), &model.Volume{Name: fmt.Sprintf("q%d", i), Size: 3, Status: model.VolumeAvailable})
			mu.Lock()
			defer mu.Unlock()
			var oq *store.VolumeOverQuotaError
			switch {
			case err == nil:
				created++
			case errors.As(err, &oq) && errors.Is(err, errdefs.ErrQuotaExceeded) && oq.Resource == "gigabytes":
			default:
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	if len(other) > 0 || created != 3 {
		t.Fatalf("created %d of 3 GiB against 10 GiB; errors %v", created, other)
	}
	_, u, err = vs.Quota(asProject(projectA), projectA)
	noErr(t, err, "Quota")
	if u != (model.VolumeUsage{Volumes: 3, Gigabytes: 9}) {
		t.Fatalf("usage %+v", u)
	}
	err = vs.CreateInQuota(asProject(projectA), &model.Volume{Size: 2, Status: model.VolumeAvailable})
	if want := "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 10G and 9G has been consumed."; err == nil || err.Error() != want {
		t.Fatalf("over gigabytes: %v", err)
	}
	noErr(t, vs.CreateInQuota(asProject(projectA), &model.Volume{Size: 1, Status: model.VolumeAvailable}), "the last GiB")
	noErr(t, vs.SetQuota(asAdminAll(), projectA, model.QuotaLimits{"gigabytes": 20}), "raise gigabytes")
	err = vs.CreateInQuota(asProject(projectA), &model.Volume{Size: 1, Status: model.VolumeAvailable})
	var oq *store.VolumeOverQuotaError
	if !errors.As(err, &oq) || oq.Resource != "volumes" {
		t.Fatalf("over volumes: %v", err)
	}
	// Another project counts its own; -1 is unlimited.
	noErr(t, vs.CreateInQuota(asProject(projectB), &model.Volume{Size: 900, Status: model.VolumeAvailable}), "project B")
	noErr(t, vs.SetQuota(asAdminAll(), projectA, model.QuotaLimits{"gigabytes": -1, "volumes": -1}), "unlimited")
	noErr(t, vs.CreateInQuota(asProject(projectA), &model.Volume{Size: 500, Status: model.VolumeAvailable}), "unlimited create")
}

// testVolumeClaims checks that a host's disk counts its volumes in the
// claim transaction, and that a claim places the container's new volumes
// on the host it chose, or fails when they do not fit.
func testVolumeClaims(t *testing.T, s store.Store) {
	ctx := system()
	h := s.Hosts()
	noErr(t, h.Upsert(ctx, &model.ComputeNode{Hostname: "vol-node", CPUs: 4, MemTotal: 4096, DiskTotal: 10}), "Upsert")
	claimWithVolume := func(name string, gb int64) (*model.Container, *model.Volume, error) {
		c := mustCreate(t, s, asProject(projectA), newContainer(projectA, name))
		v := &model.Volume{Size: gb, Status: model.VolumeReserved, AttachedTo: c.UUID, AutoRemove: true}
		noErr(t, s.Volumes().Create(asProject(projectA), v), "volume")
		return c, v, h.Claim(ctx, alloc(c, "vol-node"))
	}
	c1, v1, err := claimWithVolume("v1", 6)
	noErr(t, err, "claim with a 6 GiB volume")
	got, err := s.Volumes().Get(asProject(projectA), v1.UUID)
	noErr(t, err, "Get")
	if got.Host != "vol-node" {
		t.Fatalf("claim did not place the volume: %+v", got)
	}
	_, v2, err := claimWithVolume("v2", 5)
	wantErr(t, err, errdefs.ErrConflict, "a 5 GiB volume beside 6 of 10")
	got, err = s.Volumes().Get(asProject(projectA), v2.UUID)
	noErr(t, err, "Get")
	if got.Host != "" {
		t.Fatalf("a refused claim placed the volume: %+v", got)
	}
	// A container asking for disk sees the volume's room taken.
	c3 := mustCreate(t, s, asProject(projectA), newContainer(projectA, "v3"))
	c3.Disk = 5
	wantErr(t, h.Claim(ctx, alloc(c3, "vol-node")), errdefs.ErrConflict, "5 GiB of disk beside a 6 GiB volume")
	// Without disk or volumes, a claim ignores the disk.
	noErr(t, h.Release(ctx, c1.UUID), "Release")
	c4 := mustCreate(t, s, asProject(projectA), newContainer(projectA, "v4"))
	noErr(t, h.Claim(ctx, alloc(c4, "vol-node")), "claim without disk")
}
