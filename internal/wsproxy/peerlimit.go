package wsproxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/openzun/zun/internal/bus"
)

// PeerLimiter bounds a user's sessions across every zun-wsproxy on the
// bus. Each proxy counts its own sessions; to admit one it first reserves
// it locally, then asks every peer for its count of the user. Since both
// sides of a race reserve before asking, at least one of them sees the
// other's reservation: the sum never passes the limit (a race at the
// limit may refuse both). A proxy that dies takes its sessions with it
// (their websockets and links close), so a peer that stops answering
// counts for nothing once it missed a reply or its heartbeats.
type PeerLimiter struct {
	bus  bus.Bus
	id   string
	max  int
	log  *slog.Logger
	wait time.Duration // longest wait for peers' counts
	beat time.Duration // heartbeat period; peers expire after 3 of them
	c    counts        // sessions and reservations per user
	held counts        // reservations per user
	// admitting serialises admissions of one user on this proxy, so its
	// own reservations never make each other fail.
	admitting sync.Map // user -> chan struct{} (a lock)
	mu        sync.Mutex
	peers     map[string]time.Time
	asks      map[string]chan peerCount // nonce -> replies
	subs      []bus.Subscription
	stop      chan struct{}
	closed    sync.WaitGroup
}

// settleTime is how long a new proxy listens for its peers' answers to
// its hello before serving.
const settleTime = 300 * time.Millisecond

// Subjects of the proxies' exchange (core NATS, not the RPC bus).
const (
	subjectAlive = "zun.wsproxy.alive"
	subjectCount = "zun.wsproxy.count"
	subjectReply = "zun.wsproxy.reply." // + proxy id
)

type peerAlive struct {
	ID    string `json:"id"`
	Hello bool   `json:"hello,omitempty"` // a new proxy: peers announce themselves
	Gone  bool   `json:"gone,omitempty"`
}

type peerAsk struct {
	From  string `json:"from"`
	Nonce string `json:"nonce"`
	User  string `json:"user"`
}

type peerCount struct {
	From  string `json:"from"`
	Nonce string `json:"nonce"`
	Count int    `json:"count"`   // sessions and reservations
	Held  int    `json:"pending"` // of which reservations
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewPeerLimiter joins the proxies on b, allowing max sessions per user
// in all of them together. Close leaves.
func NewPeerLimiter(b bus.Bus, max int, log *slog.Logger) (*PeerLimiter, error) {
	l := &PeerLimiter{bus: b, id: randomID(), max: max, log: log, wait: 2 * time.Second, beat: 2 * time.Second,
		c: counts{byUser: map[string]int{}}, held: counts{byUser: map[string]int{}}, peers: map[string]time.Time{}, asks: map[string]chan peerCount{},
		stop: make(chan struct{})}
	for subject, h := range map[string]bus.EventHandler{
		subjectAlive:        l.onAlive,
		subjectCount:        l.onAsk,
		subjectReply + l.id: l.onReply,
	} {
		sub, err := b.Subscribe(subject, h)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.subs = append(l.subs, sub)
	}
	// Peers answer the hello with their own announcement: wait for them
	// before admitting anything, so the first count asks them too.
	l.announce(true)
	time.Sleep(settleTime)
	l.closed.Add(1)
	go l.heartbeat()
	return l, nil
}

func (l *PeerLimiter) announce(hello bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.bus.Publish(ctx, subjectAlive, peerAlive{ID: l.id, Hello: hello}); err != nil {
		l.log.Warn("failed to announce the proxy to its peers", "err", err)
	}
}

func (l *PeerLimiter) heartbeat() {
	defer l.closed.Done()
	t := time.NewTicker(l.beat)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.announce(false)
		}
	}
}

func (l *PeerLimiter) onAlive(_ context.Context, raw json.RawMessage) {
	var m peerAlive
	if json.Unmarshal(raw, &m) != nil || m.ID == "" || m.ID == l.id {
		return
	}
	l.mu.Lock()
	if m.Gone {
		delete(l.peers, m.ID)
	} else {
		l.peers[m.ID] = time.Now()
	}
	l.mu.Unlock()
	if m.Hello {
		l.announce(false)
	}
}

func (l *PeerLimiter) onAsk(ctx context.Context, raw json.RawMessage) {
	var m peerAsk
	if json.Unmarshal(raw, &m) != nil || m.From == "" || m.From == l.id {
		return
	}
	l.mu.Lock()
	l.peers[m.From] = time.Now()
	l.mu.Unlock()
	if err := l.bus.Publish(ctx, subjectReply+m.From, peerCount{From: l.id, Nonce: m.Nonce, Count: l.c.get(m.User), Held: l.held.get(m.User)}); err != nil {
		l.log.Warn("failed to answer a peer's session count", "err", err)
	}
}

func (l *PeerLimiter) onReply(_ context.Context, raw json.RawMessage) {
	var m peerCount
	if json.Unmarshal(raw, &m) != nil {
		return
	}
	l.mu.Lock()
	ch := l.asks[m.Nonce]
	l.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m:
		default:
		}
	}
}

// livePeers drops peers silent for three heartbeats and lists the others.
func (l *PeerLimiter) livePeers() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	live := map[string]bool{}
	for id, seen := range l.peers {
		if time.Since(seen) > 3*l.beat {
			delete(l.peers, id)
			continue
		}
		live[id] = true
	}
	return live
}

// Acquire implements SessionLimiter. When only reservations of racing
// peers stand in the way, it backs off and tries again, so a race at the
// limit does not refuse everyone.
func (l *PeerLimiter) Acquire(ctx context.Context, user string) (func(), error) {
	lk, _ := l.admitting.LoadOrStore(user, make(chan struct{}, 1))
	lock := lk.(chan struct{})
	select {
	case lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-lock }()
	for attempt := 0; ; attempt++ {
		mine := l.c.add(user, 1) // reserve before asking
		l.held.add(user, 1)
		others, othersHeld, err := l.peerSessions(ctx, user)
		l.held.add(user, -1)
		if err == nil && mine+others <= l.max {
			var once sync.Once
			return func() { once.Do(func() { l.c.add(user, -1) }) }, nil
		}
		l.c.add(user, -1)
		if err != nil {
			return nil, err
		}
		if mine+others-othersHeld > l.max || attempt == 4 {
			return nil, ErrTooMany
		}
		select {
		case <-time.After(time.Duration(5+mrand.IntN(30)) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// peerSessions sums the peers' counts of user, waiting for every live
// peer (at most l.wait); a peer that does not answer in time is dropped.
func (l *PeerLimiter) peerSessions(ctx context.Context, user string) (total, held int, err error) {
	want := l.livePeers()
	nonce := randomID()
	ch := make(chan peerCount, 64)
	l.mu.Lock()
	l.asks[nonce] = ch
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.asks, nonce)
		l.mu.Unlock()
	}()
	if err := l.bus.Publish(ctx, subjectCount, peerAsk{From: l.id, Nonce: nonce, User: user}); err != nil {
		return 0, 0, err
	}
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	seen := map[string]bool{}
	for len(want) > 0 {
		select {
		case m := <-ch:
			if !seen[m.From] { // any peer's answer counts, known or new
				seen[m.From] = true
				total, held = total+m.Count, held+m.Held
			}
			delete(want, m.From)
		case <-timer.C:
			l.mu.Lock()
			for id := range want {
				delete(l.peers, id)
			}
			l.mu.Unlock()
			l.log.Warn("peer proxies did not answer a session count; counted as gone", "peers", len(want))
			return total, held, nil
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		}
	}
	// Replies of peers we did not know yet may already be queued.
	for {
		select {
		case m := <-ch:
			if !seen[m.From] {
				seen[m.From] = true
				total, held = total+m.Count, held+m.Held
			}
		default:
			return total, held, nil
		}
	}
}

// Close leaves the peers (they stop waiting for this proxy at once).
func (l *PeerLimiter) Close() {
	select {
	case <-l.stop:
		return
	default:
	}
	close(l.stop)
	l.closed.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = l.bus.Publish(ctx, subjectAlive, peerAlive{ID: l.id, Gone: true})
	for _, s := range l.subs {
		_ = s.Unsubscribe()
	}
}
