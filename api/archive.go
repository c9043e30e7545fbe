package api

// Streamed copies (our zun cp): get_archive with "Accept: application/x-tar"
// answers the raw tar archive, its stat in ArchiveStatHeader (base64 of
// the JSON stat); put_archive with "Content-Type: application/x-tar" takes
// the raw archive as its body. Neither holds the archive in memory, so
// they reach the deployment's copy limit instead of the JSON form's.
const (
	ArchiveMediaType  = "application/x-tar"
	ArchiveStatHeader = "X-Zun-Archive-Stat"
)
