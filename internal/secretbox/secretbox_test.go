package secretbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "secret.key")
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	s, err := b.Seal("hunter2", "reg-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "hunter2") {
		t.Fatal("sealed value holds the clear text")
	}
	s2, _ := b.Seal("hunter2", "reg-1")
	if s == s2 {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	// A second process reads the same key.
	b2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open(s, "reg-1"); err != nil || got != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b2.Open(s, "reg-2"); err != ErrCorrupt {
		t.Fatalf("open under another record: %v", err)
	}
	if _, err := b2.Open(s[:len(s)-4], "reg-1"); err != ErrCorrupt {
		t.Fatalf("open truncated: %v", err)
	}
	other, _ := Open(filepath.Join(t.TempDir(), "k"))
	if _, err := other.Open(s, "reg-1"); err != ErrCorrupt {
		t.Fatalf("open with another key: %v", err)
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil {
		t.Fatal("corrupt key file accepted")
	}
}
