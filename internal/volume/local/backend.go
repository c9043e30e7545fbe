package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
)

// DataSubdir is the directory inside a volume's filesystem that containers
// see. It exists only while the filesystem is mounted, so a container
// started before its volume is mounted (by the engine after a host reboot)
// fails to start instead of writing into the empty mount point.
const DataSubdir = "data"

const gib = 1 << 30

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Backend manages the volumes and injected files of one host.
type Backend struct {
	dir string
	log *slog.Logger
}

// New returns a backend rooted at dir (absolute), creating it.
func New(dir string, log *slog.Logger) (*Backend, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("volume directory %q is not absolute: %w", dir, errdefs.ErrInvalidArgument)
	}
	for _, d := range []string{dir, filepath.Join(dir, "images"), filepath.Join(dir, "mnt"), filepath.Join(dir, "files")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("failed to create %s: %w", d, err)
		}
	}
	return &Backend{dir: dir, log: log}, nil
}

func checkUUID(id string) error {
	if !uuidRe.MatchString(id) {
		return fmt.Errorf("%q is not a uuid: %w", id, errdefs.ErrInvalidArgument)
	}
	return nil
}

// ImagePath is the backing file of volume id.
func (b *Backend) ImagePath(id string) string { return filepath.Join(b.dir, "images", id+".img") }

// MountPath is where volume id's filesystem is mounted.
func (b *Backend) MountPath(id string) string { return filepath.Join(b.dir, "mnt", id) }

// Attach makes volume id of sizeGiB ready and returns the host directory a
// container binds: the backing file is created and formatted the first
// time, attached to a loop device and mounted. Idempotent: an already
// mounted volume is left as is (after an agent restart, for instance).
func (b *Backend) Attach(ctx context.Context, id string, sizeGiB int64) (string, error) {
	if err := checkUUID(id); err != nil {
		return "", err
	}
	if sizeGiB < 1 {
		return "", fmt.Errorf("volume %s has no size: %w", id, errdefs.ErrInvalidArgument)
	}
	img, mnt := b.ImagePath(id), b.MountPath(id)
	data := filepath.Join(mnt, DataSubdir)
	mounted, err := IsMountPoint(mnt)
	if err != nil {
		return "", err
	}
	if mounted {
		return data, os.MkdirAll(data, 0o755)
	}
	if _, err := os.Stat(img); errors.Is(err, os.ErrNotExist) {
		if err := b.format(ctx, img, sizeGiB); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", fmt.Errorf("failed to stat volume %s: %w", id, err)
	}
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		return "", fmt.Errorf("failed to create mount point of volume %s: %w", id, err)
	}
	dev, err := run(ctx, "losetup", "--find", "--show", "--nooverlap", img)
	if err != nil {
		return "", fmt.Errorf("failed to attach volume %s to a loop device: %w", id, err)
	}
	dev = strings.TrimSpace(dev)
	if _, err := run(ctx, "mount", "-t", "ext4", "-o", "nodev,nosuid", dev, mnt); err != nil {
		_, _ = run(context.WithoutCancel(ctx), "losetup", "-d", dev)
		return "", fmt.Errorf("failed to mount volume %s: %w", id, err)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", fmt.Errorf("failed to create data directory of volume %s: %w", id, err)
	}
	b.log.InfoContext(ctx, "attached volume", "volume", id, "device", dev, "mountpoint", mnt)
	return data, nil
}

// format creates the sparse backing file and an ext4 filesystem on it,
// under a temporary name renamed at the end, so a file at ImagePath is
// always a formatted volume.
func (b *Backend) format(ctx context.Context, img string, sizeGiB int64) error {
	tmp := img + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("failed to create volume file: %w", err)
	}
	err = f.Truncate(sizeGiB * gib)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// No reserved blocks: the tenant gets the whole size; lazy init
		// keeps creation fast on a sparse file.
		_, err = run(ctx, "mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard", tmp)
	}
	if err == nil {
		err = os.Rename(tmp, img)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("failed to format volume: %w", err)
	}
	return nil
}

// Detach unmounts volume id and frees its loop devices; the backing file
// (the data) stays. Detaching a detached volume does nothing.
func (b *Backend) Detach(ctx context.Context, id string) error {
	if err := checkUUID(id); err != nil {
		return err
	}
	img, mnt := b.ImagePath(id), b.MountPath(id)
	mounted, err := IsMountPoint(mnt)
	if err != nil {
		return err
	}
	if mounted {
		if _, err := run(ctx, "umount", mnt); err != nil {
			return fmt.Errorf("failed to unmount volume %s: %w", id, err)
		}
	}
	devs, err := LoopDevices(ctx, img)
	if err != nil {
		return err
	}
	for _, dev := range devs {
		if _, err := run(ctx, "losetup", "-d", dev); err != nil {
			return fmt.Errorf("failed to detach loop device %s of volume %s: %w", dev, id, err)
		}
	}
	if err := os.Remove(mnt); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to remove mount point of volume %s: %w", id, err)
	}
	if len(devs) > 0 || mounted {
		b.log.InfoContext(ctx, "detached volume", "volume", id)
	}
	return nil
}

// Destroy detaches volume id and removes its backing file.
func (b *Backend) Destroy(ctx context.Context, id string) error {
	if err := b.Detach(ctx, id); err != nil {
		return err
	}
	img := b.ImagePath(id)
	for _, p := range []string{img, img + ".new"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("failed to remove volume file: %w", err)
		}
	}
	b.log.InfoContext(ctx, "destroyed volume", "volume", id)
	return nil
}

// FilesDir is the directory of the files injected into container ctr.
func (b *Backend) FilesDir(ctr string) string { return filepath.Join(b.dir, "files", ctr) }

// InjectFile writes the n-th injected file of container ctr and returns
// its host path.
func (b *Backend) InjectFile(ctr string, n int, content []byte) (string, error) {
	if err := checkUUID(ctr); err != nil {
		return "", err
	}
	dir := b.FilesDir(ctr)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("failed to create injected files directory: %w", err)
	}
	p := filepath.Join(dir, fmt.Sprintf("%d", n))
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return "", fmt.Errorf("failed to write injected file: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", fmt.Errorf("failed to write injected file: %w", err)
	}
	return p, nil
}

// RemoveFiles removes every file injected into container ctr.
func (b *Backend) RemoveFiles(ctr string) error {
	if err := checkUUID(ctr); err != nil {
		return err
	}
	if err := os.RemoveAll(b.FilesDir(ctr)); err != nil {
		return fmt.Errorf("failed to remove injected files: %w", err)
	}
	return nil
}

// IsMountPoint reports whether path is a mount point of this process's
// mount namespace (from /proc/self/mountinfo).
func IsMountPoint(path string) (bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, fmt.Errorf("failed to read mountinfo: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMount(fields[4]) == path {
			return true, nil
		}
	}
	return false, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes of space, tab, newline
// and backslash.
func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// LoopDevices lists the loop devices backed by file.
func LoopDevices(ctx context.Context, file string) ([]string, error) {
	out, err := run(ctx, "losetup", "--noheadings", "--output", "NAME", "--associated", file)
	if err != nil {
		return nil, fmt.Errorf("failed to list loop devices of %s: %w", file, err)
	}
	var devs []string
	for l := range strings.SplitSeq(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			devs = append(devs, l)
		}
	}
	return devs, nil
}

func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Inventory is what a host's volume directory holds, by UUID.
type Inventory struct {
	// Attached are the volumes mounted or attached to a loop device (or
	// left with a mount point directory).
	Attached []string
	// Stored are the volumes with a backing file.
	Stored []string
	// FileOwners are the containers with an injected files directory.
	FileOwners []string
}

// Inventory lists the volumes and injected files present on the host, so
// the agent can release those no record accounts for.
func (b *Backend) Inventory(ctx context.Context) (Inventory, error) {
	var inv Inventory
	var err error
	if inv.Stored, err = uuidEntries(filepath.Join(b.dir, "images"), ".img"); err != nil {
		return inv, err
	}
	if inv.FileOwners, err = uuidEntries(filepath.Join(b.dir, "files"), ""); err != nil {
		return inv, err
	}
	mnts, err := uuidEntries(filepath.Join(b.dir, "mnt"), "")
	if err != nil {
		return inv, err
	}
	if len(inv.Stored) == 0 {
		// No backing file, so no loop device of ours: skip losetup.
		inv.Attached = mnts
		return inv, nil
	}
	attached := map[string]bool{}
	for _, id := range mnts {
		attached[id] = true
	}
	out, err := run(ctx, "losetup", "--noheadings", "--output", "NAME,BACK-FILE", "--list")
	if err != nil {
		return inv, fmt.Errorf("failed to list loop devices: %w", err)
	}
	images := filepath.Join(b.dir, "images") + "/"
	for l := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !strings.HasPrefix(f[1], images) {
			continue
		}
		if id := strings.TrimSuffix(strings.TrimPrefix(f[1], images), ".img"); uuidRe.MatchString(id) {
			attached[id] = true
		}
	}
	for id := range attached {
		inv.Attached = append(inv.Attached, id)
	}
	return inv, nil
}

// uuidEntries lists the UUIDs naming the entries of dir (with suffix, and
// the suffix's ".new" leftovers of an interrupted format).
func uuidEntries(dir, suffix string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("failed to list %s: %w", dir, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".new")
		id, ok := strings.CutSuffix(name, suffix)
		if ok && uuidRe.MatchString(id) && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}
