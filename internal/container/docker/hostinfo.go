package docker

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"

	"github.com/openzun/zun/internal/container"
)

// HostInfo reports the engine's inventory. Labels are the daemon's labels
// overridden by Config.Labels; DiskTotal is the size of the filesystem
// holding the engine's data root (0 when the engine is remote).
func (d *Driver) HostInfo(ctx context.Context) (container.HostInfo, error) {
	info, err := d.info(ctx)
	if err != nil {
		return container.HostInfo{}, err
	}
	labels := parseLabels(info.Labels)
	maps.Copy(labels, d.cfg.Labels)
	h := container.HostInfo{
		CPUs:               info.NCPU,
		MemTotal:           info.MemTotal / mib,
		DiskQuotaSupported: diskQuotaSupported(info.Driver, info.DriverStatus, info.DockerRootDir),
		Architecture:       info.Architecture,
		OSType:             info.OSType,
		OS:                 info.OperatingSystem,
		KernelVersion:      info.KernelVersion,
		Labels:             labels,
		Runtimes:           slices.Sorted(maps.Keys(info.Runtimes)),
		TotalContainers:    info.Containers,
	}
	if d.local() {
		total, err := diskTotal(info.DockerRootDir)
		if err != nil {
			d.log.WarnContext(ctx, "cannot size the docker data root", "dir", info.DockerRootDir, "error", err)
		}
		h.DiskTotal = total / (1 << 30)
	}
	return h, nil
}

func (d *Driver) info(ctx context.Context) (system.Info, error) {
	res, err := d.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return system.Info{}, translate("read docker engine info", err)
	}
	return res.Info, nil
}

// local reports whether the engine runs on this host (a unix socket), so
// its data root can be examined directly.
func (d *Driver) local() bool {
	return strings.HasPrefix(d.cfg.Host, "unix://")
}

// parseLabels turns the daemon's "k=v" labels into a map; a label without
// "=" has an empty value.
func parseLabels(list []string) map[string]string {
	out := make(map[string]string, len(list))
	for _, l := range list {
		k, v, _ := strings.Cut(l, "=")
		if k = strings.TrimSpace(k); k != "" {
			out[k] = v
		}
	}
	return out
}

// diskQuotaSupported reports whether the storage driver enforces a
// per-container size (StorageOpt size): overlay2 on xfs mounted with
// project quotas, devicemapper, btrfs and zfs.
func diskQuotaSupported(driver string, status [][2]string, root string) bool {
	switch driver {
	case "devicemapper", "btrfs", "zfs":
		return true
	case "overlay2":
	default:
		return false
	}
	backing := ""
	for _, kv := range status {
		if kv[0] == "Backing Filesystem" {
			backing = kv[1]
		}
	}
	if backing != "xfs" {
		return false
	}
	opts, err := mountOptions(root)
	if err != nil {
		return false
	}
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "pquota", "prjquota":
			return true
		}
	}
	return false
}
