// Package identity is the embedded identity service: a minimal Keystone v3
// that python-openstackclient, python-zunclient (through keystoneauth1) and
// the Go client can authenticate against when no external Keystone is used.
//
// It serves version discovery, password and token authentication with
// project scoping, token validation, the service catalog, and the admin
// calls of "openstack project/user/role": create, list and show projects and
// users, list and show roles and domains (only "default" exists), grant and
// check a user's role on a project and list role assignments. Records
// cannot be deleted or updated and roles cannot be revoked, as
// store.Identity has no such operations. Records live in a
// store.Identity; tokens do not: a token is a self-contained, Ed25519-signed
// and expiring claim set (see token.go), so zun-api and zun-wsproxy check
// it with the public key alone through a Validator, without a database
// lookup. Consequently a token stays valid until it expires even if its
// user is disabled or loses a role meanwhile; roles are re-resolved from the
// store whenever a token is issued.
//
// Passwords are hashed with bcrypt; unknown users and wrong passwords take
// the same time and give the same 401, so user names cannot be enumerated.
// Passwords and tokens are never logged.
package identity
