package api

// Mount is one entry of "mounts" in a create request (since 1.11; Type
// since 1.23). A volume mount names an existing volume in Source (name or
// id; kept when the container is deleted) or asks for a new volume of Size
// GiB (removed with the container). A bind mount injects one file:
// Source is its content, base64-encoded, never a host path.
//
// Example: {"source": "db-data", "destination": "/var/lib/mysql"}.
type Mount struct {
	Type        string `json:"type,omitempty"` // "volume" (default) or "bind"
	Source      string `json:"source,omitempty"`
	Size        int    `json:"size,omitempty"` // GiB
	Destination string `json:"destination"`
}
