package pgtest

import (
	"context"
	"database/sql"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func ping(t *testing.T, dsn string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(context.Background(), "SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (id INT)"); err != nil {
		t.Fatal(err)
	}
	t.Logf("server version %s", v)
}

func TestShared(t *testing.T) {
	a, b := Shared(t), Shared(t)
	if a == b {
		t.Fatalf("two Shared calls gave the same database %s", a)
	}
	ping(t, a)
	ping(t, b) // a fresh database: table t does not exist yet
}

func TestStart(t *testing.T) {
	ping(t, Start(t))
}
