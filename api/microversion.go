package api

import (
	"fmt"
	"strconv"
	"strings"
)

// Microversion headers and service name.
const (
	VersionHeader    = "OpenStack-API-Version"
	MinVersionHeader = "OpenStack-API-Minimum-Version"
	MaxVersionHeader = "OpenStack-API-Maximum-Version"
	ServiceType      = "container"
	// IdempotencyKeyHeader makes a container create safe to retry: a
	// create carrying a key its project already used answers with the
	// container that key made (409 if the request differs).
	IdempotencyKeyHeader = "Idempotency-Key"
)

// Version is an API microversion 1.<Minor>.
type Version struct {
	Major, Minor int
}

// String renders "1.40".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v >= 1.minor.
func (v Version) AtLeast(minor int) bool { return v.Minor >= minor }

// VersionChange is one entry of the append-only microversion history.
type VersionChange struct {
	Version Version
	Change  string
}

// History mirrors Zun's rest_api_version_history: append only.
var History = []VersionChange{
	{Version{1, 1}, "initial microversioned API with strict validation"},
	{Version{1, 2}, "nets on create"},
	{Version{1, 3}, "auto_remove on create"},
	{Version{1, 4}, "hosts API"},
	{Version{1, 5}, "runtime on create"},
	{Version{1, 6}, "network_detach"},
	{Version{1, 7}, "delete force is admin only"},
	{Version{1, 8}, "network_attach"},
	{Version{1, 9}, "hostname on create"},
	{Version{1, 10}, "container delete is asynchronous"},
	{Version{1, 11}, "mounts on create"},
	{Version{1, 12}, "delete with stop"},
	{Version{1, 13}, "network_list"},
	{Version{1, 14}, "rename through PATCH; rename action removed"},
	{Version{1, 15}, "add/remove_security_group removed"},
	{Version{1, 16}, "capsule restartPolicy in spec"},
	{Version{1, 17}, "port on network_detach"},
	{Version{1, 18}, "network_list grouped per port"},
	{Version{1, 19}, "resize_container"},
	{Version{1, 20}, "command is a list"},
	{Version{1, 21}, "privileged"},
	{Version{1, 22}, "healthcheck"},
	{Version{1, 23}, "mounts type"},
	{Version{1, 24}, "exposed_ports"},
	{Version{1, 25}, "archive data is base64"},
	{Version{1, 26}, "quotas and quota classes"},
	{Version{1, 27}, "delete network"},
	{Version{1, 28}, "cpu_policy"},
	{Version{1, 29}, "host enable_cpu_pinning"},
	{Version{1, 30}, "registries API"},
	{Version{1, 31}, "registry on create"},
	{Version{1, 32}, "capsule delete async, new capsule format"},
	{Version{1, 33}, "container action finish_time"},
	{Version{1, 34}, "capsule init_containers"},
	{Version{1, 35}, "capsule container ports"},
	{Version{1, 36}, "tty separate from interactive"},
	{Version{1, 37}, "capsule container tty and stdin"},
	{Version{1, 38}, "capsule annotations"},
	{Version{1, 39}, "requested host on create"},
	{Version{1, 40}, "entrypoint on create"},
}

// MinVersion and MaxVersion bound what the server speaks.
var (
	MinVersion = History[0].Version
	MaxVersion = History[len(History)-1].Version
)

// ErrVersionMalformed and ErrVersionUnsupported are returned by ParseVersionHeader.
var (
	ErrVersionMalformed   = fmt.Errorf("malformed microversion")
	ErrVersionUnsupported = fmt.Errorf("unsupported microversion")
)

// ParseVersionHeader negotiates the microversion from the value of the
// OpenStack-API-Version header. An empty header means the minimum, as in Zun.
func ParseVersionHeader(h string) (Version, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return MinVersion, nil
	}
	// The header may list several services: "container 1.30, compute 2.1".
	for _, part := range strings.Split(h, ",") {
		f := strings.Fields(part)
		if len(f) != 2 || strings.ToLower(f[0]) != ServiceType {
			continue
		}
		return ParseVersion(f[1])
	}
	return Version{}, ErrVersionMalformed
}

// ParseVersion parses "1.23" or "latest" and checks the range.
func ParseVersion(s string) (Version, error) {
	if strings.EqualFold(s, "latest") {
		return MaxVersion, nil
	}
	maj, min, ok := strings.Cut(s, ".")
	if !ok {
		return Version{}, ErrVersionMalformed
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return Version{}, ErrVersionMalformed
	}
	v := Version{a, b}
	if v.Major != 1 || v.Minor < MinVersion.Minor || v.Minor > MaxVersion.Minor {
		return v, ErrVersionUnsupported
	}
	return v, nil
}
