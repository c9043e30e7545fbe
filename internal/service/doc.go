// Package service wires the zun services from a config.Config: zun-api
// (store, identity, scheduler, conductor, REST API), zun-compute (Docker
// driver and agent), and the all-in-one that runs both with an embedded
// NATS server. cmd/ mains are thin calls into RunAPI and RunCompute.
package service
