// Package identity is the embedded identity service: a Keystone v3 subset
// that python-openstackclient, python-zunclient (through keystoneauth1) and
// the Go client can authenticate against when no external Keystone is used.
//
// It serves version discovery; password and token authentication with
// project, domain or no scope; token validation and revocation
// (DELETE /v3/auth/tokens); the service catalog built from the entries
// services register; and the admin calls of "openstack domain / project /
// user / role / role add|remove / role assignment": create, list, show,
// update and delete domains, projects, users and roles and grant, check
// and revoke roles on projects and domains. Records live in a
// store.Identity; tokens do not: a token is a self-contained,
// Ed25519-signed and expiring claim set naming its signing key (see
// token.go), so zun-api and zun-wsproxy check it with public keys alone
// through a Verifier, without a lookup per request.
//
// Keys: the private key is a 0600 file in a 0700 directory of the data
// directory; the public keys of the key set are published in the store.
// RotateKey ("zun-api --rotate-identity-key") installs a new key; the
// previous public keys stay accepted until every token they signed has
// expired, so nobody is logged out.
//
// Revocation: like Keystone's revocation events, an event (an audit id, a
// user, a project, a domain, a user on a project) revokes every matching
// token issued before it. Deleting or disabling users, projects and
// domains, changing a password and removing a role record events. Events
// are persisted; every Verifier re-reads them within its refresh bound
// (DefaultRefresh), and the process that revokes applies them at once.
//
// Passwords are hashed with bcrypt; unknown users, wrong passwords and
// disabled users or domains take the same time and give the same 401, so
// user names cannot be enumerated. Passwords and tokens are never logged.
package identity
