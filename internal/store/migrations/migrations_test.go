package migrations

import (
	"testing"
)

func TestAll(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || len(all) != SchemaVersion() {
		t.Fatalf("%d migrations, SchemaVersion %d", len(all), SchemaVersion())
	}
	for i, m := range all {
		if (i == 0 && m.Version != 1) || (i > 0 && m.Version <= all[i-1].Version) || !isNumbered(m.Name) || len(Statements(m.SQL)) == 0 {
			t.Fatalf("migration %d: %+v", i, m.Name)
		}
	}
}

func TestStatements(t *testing.T) {
	got := Statements("-- comment\nCREATE TABLE a (\n  x INT\n);\n\nCREATE INDEX b ON a (x);\nSELECT 1")
	want := []string{"CREATE TABLE a (\n  x INT\n);", "CREATE INDEX b ON a (x);", "SELECT 1"}
	if len(got) != len(want) {
		t.Fatalf("Statements = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statement %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// isNumbered reports whether name starts with a four-digit number and "_".
func isNumbered(name string) bool {
	if len(name) < 5 || name[4] != '_' {
		return false
	}
	for _, c := range name[:4] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
