// Package pgtest runs throwaway PostgreSQL clusters for tests, from the
// server binaries of the machine (/usr/lib/postgresql/15/bin, or the
// directory in $PGTEST_BINDIR, or initdb found in $PATH).
//
// Shared gives each caller a fresh database in one cluster per test binary,
// which keeps suites fast; call StopShared from TestMain after m.Run:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pgtest.StopShared()
//		os.Exit(code)
//	}
//
// Start gives a test a cluster of its own. The server runs as a child of
// the test binary with a parent-death signal, so a killed test binary does
// not leave it running. As root the cluster runs as the "postgres" system
// user (created if missing), since PostgreSQL refuses to run as root. When
// the binaries are missing the helpers skip the test.
package pgtest
