package docker

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// diskTotal is the size in bytes of the filesystem holding dir.
func diskTotal(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("failed to statfs %s: %w", dir, err)
	}
	return int64(st.Blocks) * int64(st.Bsize), nil
}

// mountOptions returns the mount and superblock options of the mount
// holding dir, from /proc/self/mountinfo (longest mount point prefix).
func mountOptions(dir string) (string, error) {
	dir = filepath.Clean(dir)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("failed to read mounts: %w", err)
	}
	defer f.Close()
	best, opts := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 6 || len(tail) < 3 {
			continue
		}
		mp := fields[4]
		if !within(dir, mp) || len(mp) < len(best) {
			continue
		}
		best, opts = mp, fields[5]+","+tail[2]
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("failed to read mounts: %w", err)
	}
	if best == "" {
		return "", fmt.Errorf("no mount holds %s", dir)
	}
	return opts, nil
}

func within(dir, mountPoint string) bool {
	return mountPoint == "/" || dir == mountPoint || strings.HasPrefix(dir, mountPoint+"/")
}
