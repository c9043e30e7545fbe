// Package local is the volume backend of a compute host: each volume is a
// sparse file under the agent's volume directory, formatted ext4 when it
// is created, attached through a loop device and mounted under the same
// directory while a container uses it; containers bind-mount a directory
// inside that filesystem. It also writes the files injected into
// containers (Zun's type=bind mounts).
//
// Every host path is built here from the volume or container UUID, which
// is checked to be a UUID: tenant input never names a host path. The
// package runs losetup, mount, umount and mkfs.ext4 from util-linux and
// e2fsprogs; it imports nothing of the project but errdefs.
package local
