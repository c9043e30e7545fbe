// Package volumeapi serves the subset of the Cinder v3 API the OpenStack
// client uses (volume create, list, show, delete, attachments) over the
// local volume backend, under /volume/v3/{project_id}. It answers in
// Cinder's error format ({"itemNotFound": {"code", "message"}}), which
// cinderclient parses, not in Zun's envelope.
//
// Records live in the store; the files are the compute agents' (a delete
// of a placed volume is cast to its host). It must not import the
// container drivers, the volume backend or the compute agent.
package volumeapi
