// Package e2e builds the real binaries and drives them as a user would:
// the all-in-one on the local Docker engine, through our Go client, plain
// HTTP, and Debian's python3-zunclient and python3-openstackclient. Tests
// here need root and a running Docker engine (scripts/setup.sh).
package e2e
