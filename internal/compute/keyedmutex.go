package compute

import "sync"

// keyedMutex serialises operations per container. It also remembers
// engine events that came while a key was held (see markIfHeld), and hands
// the key to released once the last holder lets it go.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*entry
	// released, if set, is called (outside the locks) with a key whose
	// events were deferred, when its last holder unlocks it.
	released func(key string)
}

type entry struct {
	mu   sync.Mutex
	refs int
	// dirty records an engine event deferred while the key was held.
	dirty bool
}

func (k *keyedMutex) get(key string) *entry {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locks == nil {
		k.locks = map[string]*entry{}
	}
	e := k.locks[key]
	if e == nil {
		e = &entry{}
		k.locks[key] = e
	}
	e.refs++
	return e
}

// put drops a reference; the last one out reports a dirty key.
func (k *keyedMutex) put(key string, e *entry) {
	k.mu.Lock()
	e.refs--
	dirty := false
	if e.refs == 0 {
		delete(k.locks, key)
		dirty = e.dirty
	}
	k.mu.Unlock()
	if dirty && k.released != nil {
		k.released(key)
	}
}

// Lock locks key and returns its unlock function.
func (k *keyedMutex) Lock(key string) func() {
	e := k.get(key)
	e.mu.Lock()
	return func() { e.mu.Unlock(); k.put(key, e) }
}

// TryLock locks key if it is free.
func (k *keyedMutex) TryLock(key string) (func(), bool) {
	e := k.get(key)
	if !e.mu.TryLock() {
		k.put(key, e)
		return nil, false
	}
	return func() { e.mu.Unlock(); k.put(key, e) }, true
}

// markIfHeld reports whether key is held or waited for, and if so marks it
// so that released is called when it is let go. Marking and releasing are
// atomic with each other: an event is either deferred to a holder that
// will report it, or seen as not held.
func (k *keyedMutex) markIfHeld(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.locks[key]
	if e == nil {
		return false
	}
	e.dirty = true
	return true
}
