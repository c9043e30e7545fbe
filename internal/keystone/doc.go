// Package keystone validates user tokens against an external OpenStack
// Keystone (identity v3), so zun-api can join an existing cloud instead of
// running its embedded identity service. It does what keystonemiddleware's
// auth_token does for the Python services: it logs in with service
// credentials (a user with the admin or service role), renews its own
// token before expiry, asks Keystone about each user token with
// GET /v3/auth/tokens, and caches the answers.
//
// Errors: a token Keystone does not know (invalid, expired, revoked) wraps
// errdefs.ErrUnauthorized; a Keystone that cannot be reached or refuses the
// service credentials wraps errdefs.ErrUnavailable, so a request is never
// let through because identity is down.
//
// Tokens and passwords are never logged; the cache is keyed by a hash of
// the token. This package imports no store, apiserver or embedded identity
// package: it is a client of Keystone only.
package keystone
