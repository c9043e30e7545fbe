package compute

import "sync"

// keyedMutex serialises operations per container.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*entry
}

type entry struct {
	mu   sync.Mutex
	refs int
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

func (k *keyedMutex) put(key string, e *entry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(k.locks, key)
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
