// Package client is the Go REST client of the Zun container API (v1).
//
// It authenticates against Keystone v3 (password or token), picks the
// "container" endpoint from the service catalog, sends the
// OpenStack-API-Version microversion header and turns Zun's error envelope
// into *api.Error. Configuration is layered like the OpenStack tools:
// clouds.yaml, then OS_* environment variables, then explicit values
// (LoadCloud, ConfigFromEnv, Config.Merge).
//
// The package imports only the standard library, api/ and
// github.com/goccy/go-yaml: never server-side packages (store, Docker,
// NATS), so programs built on it stay small.
package client
