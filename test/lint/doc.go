// Package lint holds tests that encode the architecture of the repository as
// checks run by `make check` and `make test`: the import boundaries between
// api/, client/, cmd/zun, internal/cli and internal/scheduler, and the rule
// that every package under internal/ has a package doc comment. They read the
// package graph with `go list -deps -json` and import nothing from the
// project.
package lint
