package service

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestLogSinkKeepsEveryLine writes lines from many goroutines to a real
// file through the sink: every line arrives whole, once.
func TestLogSinkKeepsEveryLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := newLogSink(f)
	log := NewLogger(s, "info")
	const goroutines, lines = 16, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				log.Info("request", "g", g, "i", i, "pad", strings.Repeat("x", i%300))
			}
		})
	}
	wg.Wait()
	s.Flush()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(got) != goroutines*lines {
		t.Fatalf("%d lines, want %d", len(got), goroutines*lines)
	}
	var keys []string
	for _, l := range got {
		var g, i int
		if _, err := fmt.Sscanf(l[strings.Index(l, " g=")+1:], "g=%d i=%d", &g, &i); err != nil {
			t.Fatalf("torn line %q: %v", l, err)
		}
		if want := strings.Repeat("x", i%300); want != "" && !strings.HasSuffix(l, "pad="+want) {
			t.Fatalf("torn line %q", l)
		}
		keys = append(keys, fmt.Sprintf("%02d-%04d", g, i))
	}
	sort.Strings(keys)
	for k := 1; k < len(keys); k++ {
		if keys[k] == keys[k-1] {
			t.Fatalf("line %s twice", keys[k])
		}
	}
}

// TestLogSinkWritesAtOnce: a lone line reaches the writer before Write
// returns.
func TestLogSinkWritesAtOnce(t *testing.T) {
	var buf bytes.Buffer
	s := newLogSink(&buf)
	if _, err := s.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "one\n" {
		t.Fatalf("written %q", buf.String())
	}
}
