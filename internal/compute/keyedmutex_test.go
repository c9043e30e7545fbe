package compute

import (
	"sync"
	"testing"
	"time"
)

func TestKeyedMutexDefersEventsToLastHolder(t *testing.T) {
	var mu sync.Mutex
	var released []string
	k := keyedMutex{released: func(key string) {
		mu.Lock()
		released = append(released, key)
		mu.Unlock()
	}}
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), released...)
	}

	if k.markIfHeld("a") {
		t.Fatal("a free key was reported held")
	}
	unlock := k.Lock("a")
	if !k.markIfHeld("a") {
		t.Fatal("a held key was reported free")
	}
	if k.markIfHeld("b") {
		t.Fatal("another key was reported held")
	}

	// A second operation waits for the key: the event stays deferred
	// until the last holder lets go.
	second := make(chan func())
	go func() { second <- k.Lock("a") }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		k.mu.Lock()
		refs := k.locks["a"].refs
		k.mu.Unlock()
		if refs == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("second locker did not queue")
		}
		time.Sleep(time.Millisecond)
	}
	unlock()
	unlock2 := <-second
	if r := got(); len(r) != 0 {
		t.Fatalf("released while still held: %v", r)
	}
	unlock2()
	if r := got(); len(r) != 1 || r[0] != "a" {
		t.Fatalf("released %v, want [a]", r)
	}

	// Without a deferred event nothing is reported, and the mark does not
	// outlive the holder.
	unlock = k.Lock("a")
	unlock()
	if u, ok := k.TryLock("a"); !ok {
		t.Fatal("TryLock of a free key failed")
	} else {
		u()
	}
	if r := got(); len(r) != 1 {
		t.Fatalf("released again without an event: %v", r)
	}
	if len(k.locks) != 0 {
		t.Fatalf("entries left: %v", k.locks)
	}
}

func TestKeyedMutexFailedTryLockKeepsMark(t *testing.T) {
	var released []string
	k := keyedMutex{released: func(key string) { released = append(released, key) }}
	unlock := k.Lock("a")
	if _, ok := k.TryLock("a"); ok {
		t.Fatal("TryLock of a held key succeeded")
	}
	k.markIfHeld("a")
	if _, ok := k.TryLock("a"); ok {
		t.Fatal("TryLock of a held key succeeded")
	}
	if len(released) != 0 {
		t.Fatalf("a failed TryLock released the key: %v", released)
	}
	unlock()
	if len(released) != 1 {
		t.Fatalf("released %v, want [a]", released)
	}
}

func TestRecentlyRemovedForgetsOldEntries(t *testing.T) {
	var r recentlyRemoved
	t0 := time.Now()
	r.add("a", t0)
	if !r.has("a") || !r.has("a") || r.has("b") {
		t.Fatal("membership wrong")
	}
	r.add("b", t0.Add(recentlyRemovedTTL+time.Second))
	if r.has("a") || !r.has("b") {
		t.Fatal("an old entry was kept or a new one dropped")
	}
}
