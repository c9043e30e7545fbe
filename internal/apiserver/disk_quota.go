package apiserver

import (
	"context"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// checkDiskQuota refuses a disk request when no compute host can enforce
// it, as Zun does: the engine's storage driver must support a size quota
// (overlay2 on xfs with pquota, devicemapper, btrfs, zfs), and hosts
// report whether theirs does.
func (s *Server) checkDiskQuota(ctx context.Context, c *model.Container) error {
	if c.Disk <= 0 {
		return nil
	}
	hosts, err := s.store.Hosts().List(zunctx.System(ctx), store.ListOptions{})
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if h.DiskQuotaSupported {
			return nil
		}
	}
	return badRequest("Your host does not support disk quota feature.")
}
