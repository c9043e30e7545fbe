package compute

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
)

// gatedSource answers each fetch with the next revision once the test
// opens the gate, counting fetches.
type gatedSource struct {
	mu      sync.Mutex
	fetches int
	gate    chan struct{}
	started chan struct{}
}

func (g *gatedSource) NetworkState(ctx context.Context, host string) (model.HostNetworkState, error) {
	g.started <- struct{}{}
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fetches++
	return model.HostNetworkState{Host: host, Revision: int64(g.fetches)}, nil
}

type appliedRevisions struct {
	mu   sync.Mutex
	revs []int64
}

func (a *appliedRevisions) Apply(_ context.Context, st model.HostNetworkState) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revs = append(a.revs, st.Revision)
	return nil
}

// TestNetworkManagerCoalesces: changes announced while a fetch is in
// flight cost one more fetch, not one each; and an overtaken (older)
// state is never applied.
func TestNetworkManagerCoalesces(t *testing.T) {
	src := &gatedSource{gate: make(chan struct{}), started: make(chan struct{}, 10)}
	plane := &appliedRevisions{}
	m := newNetworkManager("h1", src, plane, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); m.run(ctx, time.Hour) }()

	m.Changed()
	<-src.started // the first fetch is in flight
	for range 5 {
		m.Changed()
	}
	src.gate <- struct{}{}
	<-src.started // exactly one more
	src.gate <- struct{}{}
	select {
	case <-src.started:
		t.Fatal("a third fetch for changes already covered")
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	<-done
	if m.State().Revision != 2 || len(plane.revs) != 2 {
		t.Fatalf("state %d, applied %v", m.State().Revision, plane.revs)
	}

	// A reply older than what was applied keeps the newer state.
	old := &staticSource{st: model.HostNetworkState{Host: "h1", Revision: 1}}
	m.src = old
	st, err := m.Refresh(context.Background())
	if err != nil || st.Revision != 2 {
		t.Fatalf("refresh with an older state: %d %v", st.Revision, err)
	}
}

type staticSource struct{ st model.HostNetworkState }

func (s *staticSource) NetworkState(context.Context, string) (model.HostNetworkState, error) {
	return s.st, nil
}
