// Package docker implements container.Driver with the Docker Engine Go
// client (github.com/moby/moby/client). It negotiates the API version with
// the daemon (the client speaks 1.40 and later; Docker 20.10 is 1.41) and
// never shells out to the docker CLI.
//
// Every container it creates is named zun-<uuid>, labelled
// zun.managed=true, zun.uuid and zun.project_id, and sandboxed:
//
//   - cpu_shares = 1024*cpu as Zun does, plus a hard quota NanoCPUs =
//     cpu*1e9. Zun only sets shares, which are relative weights: an idle
//     host lets one tenant take every core. The hard quota bounds a tenant
//     to what it was scheduled for.
//   - memory limit with MemorySwap equal to it (no swap beyond the limit),
//     a pids limit (fork bombs), json-file logs rotated at 3 x 10 MiB,
//     no-new-privileges, no host namespaces, no binds, and Privileged only
//     when the record asks for it (the API denies it to tenants by policy).
//   - a disk quota (StorageOpt size) only when the storage driver can
//     enforce one (HostInfo.DiskQuotaSupported).
//
// Docker errors are translated to internal/errdefs categories in one place
// (translate in errors.go).
package docker
