// Package wsproxy is zun-wsproxy: it serves the websocket URLs that
// attach and interactive execute hand out, checks the browser Origin
// against a fixed allowlist, passes the token's hash to the container's
// compute agent over the authenticated console link (package
// consolelink), and relays the session, speaking what python-zunclient's
// websocket client speaks (subprotocol "binary", raw bytes; "base64" for
// consoles that ask for it). Tokens are never logged: access lines carry
// the path only. Each user's session limit holds across every proxy of the
// deployment: the proxies share their counts over the bus (peerlimit.go).
// It imports no store or Docker package.
package wsproxy
