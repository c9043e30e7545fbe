package consolelink

import (
	"crypto/subtle"
	"sync"
	"time"

	"github.com/openzun/zun/internal/model"
)

// Grant allows one session on a container (or on one of its execs).
type Grant struct {
	Hash      [32]byte // SHA-256 of the token
	Container model.Container
	ExecID    string // "" for attach
	ExecTTY   bool   // the exec was created with a TTY
	UserID    string
	Expires   time.Time
	// Op is "" for a session, else OpGetArchive or OpPutArchive of Path.
	Op   string
	Path string
}

// Grants holds pending grants in memory. A grant is used at most once and
// is forgotten at its expiry; an agent restart forgets them all (they live
// under a minute).
type Grants struct {
	mu     sync.Mutex
	byUUID map[string][]Grant
	now    func() time.Time
}

// NewGrants returns an empty table; now may be nil (time.Now).
func NewGrants(now func() time.Time) *Grants {
	if now == nil {
		now = time.Now
	}
	return &Grants{byUUID: map[string][]Grant{}, now: now}
}

// Add records g.
func (gs *Grants) Add(g Grant) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.sweep()
	gs.byUUID[g.Container.UUID] = append(gs.byUUID[g.Container.UUID], g)
}

// Redeem removes and returns the grant of container uuid, exec execID and
// operation op whose hash is hash, if it has not expired. The hashes of the container's
// grants are all compared in constant time.
func (gs *Grants) Redeem(hash [32]byte, uuid, execID, op string) (Grant, bool) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.sweep()
	list := gs.byUUID[uuid]
	found := -1
	for i := range list {
		eq := subtle.ConstantTimeCompare(list[i].Hash[:], hash[:])
		if eq == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return Grant{}, false
	}
	g := list[found]
	// Used even when the exec does not match: a token is tried once.
	list = append(list[:found:found], list[found+1:]...)
	if len(list) == 0 {
		delete(gs.byUUID, uuid)
	} else {
		gs.byUUID[uuid] = list
	}
	if g.ExecID != execID || g.Op != op {
		return Grant{}, false
	}
	return g, true
}

// Revoke drops every grant of container uuid (it stopped or went away).
func (gs *Grants) Revoke(uuid string) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	delete(gs.byUUID, uuid)
}

// Len counts pending grants.
func (gs *Grants) Len() int {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.sweep()
	n := 0
	for _, l := range gs.byUUID {
		n += len(l)
	}
	return n
}

func (gs *Grants) sweep() {
	now := gs.now()
	for uuid, list := range gs.byUUID {
		kept := list[:0]
		for _, g := range list {
			if now.Before(g.Expires) {
				kept = append(kept, g)
			}
		}
		if len(kept) == 0 {
			delete(gs.byUUID, uuid)
		} else {
			gs.byUUID[uuid] = kept
		}
	}
}
