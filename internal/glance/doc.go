// Package glance is the embedded image service: the subset of the
// OpenStack Image API v2 that `openstack image create|list|show|save|
// delete|set` and Zun's glance image driver use. Records live in the store
// (store.GlanceImages); blobs are files under the data directory, written
// once, with their size capped and MD5 and SHA-256 computed while they
// stream in. Compute agents, which hold no credentials, download through
// short-lived signed URLs the conductor hands out (DownloadURL).
//
// It serves HTTP and imports the store contract, errdefs, model and
// zunctx; not the apiserver, the bus or a store backend.
package glance
