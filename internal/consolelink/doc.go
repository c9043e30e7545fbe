// Package consolelink is the authenticated stream link between the
// websocket proxy and the compute agents: TLS 1.3 whose session is bound,
// in both directions, to a per-deployment shared secret (an HMAC over the
// TLS exporter value, so a party without the secret can neither pose as an
// agent nor as the proxy, nor sit in the middle). Over it the proxy
// presents a session grant's token hash, and the agent answers with the
// raw stream of the container's process. zun-api uses the same link for
// copies (get_archive, put_archive), with the archive framed in chunks and
// the outcome's error category after the end (chunks.go, archive.go). It
// also holds the agent's table of pending grants. It imports no store, bus
// or HTTP package.
package consolelink
