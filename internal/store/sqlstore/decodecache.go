package sqlstore

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/openzun/zun/internal/model"
)

// decodeCacheSize bounds the records kept decoded (about 2 KB each).
const decodeCacheSize = 1024

// decodeCache keeps recently read container records decoded, keyed by
// UUID and checked against the data column just read: a record is only
// served from the cache when its JSON is byte for byte what the database
// returned, so the cache can never be stale. It saves the JSON decoding of
// hot records (a container polled by GET), the largest part of a read.
// Entries are handed out as deep copies.
type decodeCache struct {
	mu sync.RWMutex
	m  map[string]decoded
}

type decoded struct {
	data string
	c    *model.Container
}

// decode returns the container whose data column is data, from the cache
// when uuid's entry holds the same data.
func (dc *decodeCache) decode(uuid, data string) (*model.Container, error) {
	dc.mu.RLock()
	e, ok := dc.m[uuid]
	dc.mu.RUnlock()
	if ok && e.data == data {
		return e.c.Clone(), nil
	}
	c := new(model.Container)
	if err := json.Unmarshal([]byte(data), c); err != nil {
		return nil, fmt.Errorf("failed to decode container %s: %w", uuid, err)
	}
	dc.mu.Lock()
	if dc.m == nil {
		dc.m = make(map[string]decoded, decodeCacheSize)
	}
	if _, ok := dc.m[uuid]; !ok && len(dc.m) >= decodeCacheSize {
		for k := range dc.m { // evict one entry, randomly (map order)
			delete(dc.m, k)
			break
		}
	}
	dc.m[uuid] = decoded{data: data, c: c.Clone()}
	dc.mu.Unlock()
	return c, nil
}

// forget drops uuid's entry (the container was deleted).
func (dc *decodeCache) forget(uuid string) {
	dc.mu.Lock()
	delete(dc.m, uuid)
	dc.mu.Unlock()
}
