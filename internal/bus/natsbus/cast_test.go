package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
)

func TestCastAckedBeforeHandlerFinishes(t *testing.T) {
	srv, cli := pair(t)
	release := make(chan struct{})
	started := make(chan string, 1)
	finished := make(chan struct{})
	if _, err := srv.Handle("test.cast", "", func(_ context.Context, p json.RawMessage) (any, error) {
		var s string
		_ = json.Unmarshal(p, &s)
		started <- s
		<-release
		close(finished)
		return nil, errors.New("ignored: nobody waits for a cast's result")
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cli.Cast(ctxT(t, 5*time.Second), "test.cast", "hello"); err != nil {
		t.Fatalf("Cast: %v", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("cast took %v", elapsed)
	}
	select {
	case <-finished:
		t.Fatal("handler finished before release: cast waited for it")
	default:
	}
	if got := <-started; got != "hello" {
		t.Fatalf("handler got %q", got)
	}
	close(release)
	<-finished
}

// At most HandlerConcurrency handlers run at once. Casts beyond that wait
// for their ack (backpressure) and none is dropped.
func TestCastBoundedNeverDropped(t *testing.T) {
	srv, cli := pair(t)
	const extra = 8
	const n = HandlerConcurrency + extra
	var running, peak, done atomic.Int32
	release := make(chan struct{})
	if _, err := srv.Handle("test.bounded", "", func(context.Context, json.RawMessage) (any, error) {
		cur := running.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		<-release
		running.Add(-1)
		done.Add(1)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	var acked atomic.Int32
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := cli.Cast(ctxT(t, 10*time.Second), "test.bounded", i)
			if err == nil {
				acked.Add(1)
			}
			errs <- err
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for acked.Load() < HandlerConcurrency && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if a, r := acked.Load(), running.Load(); a != HandlerConcurrency || r != HandlerConcurrency {
		t.Fatalf("with all slots busy: %d acked, %d running; want %d each", a, r, HandlerConcurrency)
	}
	// A caster with a short deadline learns the agent is saturated.
	if err := cli.Cast(ctxT(t, 100*time.Millisecond), "test.bounded", -1); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("cast to saturated handler: got %v, want ErrUnavailable", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline = time.Now().Add(5 * time.Second)
	// n casts plus the timed-out one, which was still delivered later.
	for done.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if d := done.Load(); d < n {
		t.Fatalf("only %d of %d casts handled", d, n)
	}
	if p := peak.Load(); p != HandlerConcurrency {
		t.Fatalf("peak concurrency %d, want %d", p, HandlerConcurrency)
	}
}

func TestQueueGroupSharesLoad(t *testing.T) {
	srv := startServer(t, ServerConfig{Port: NoListen})
	cli := connectInProc(t, srv, Options{})
	const workers, calls = 3, 150
	var counts [workers]atomic.Int32
	for w := range workers {
		b := connectInProc(t, srv, Options{})
		if _, err := b.Handle("test.work", "agents", func(context.Context, json.RawMessage) (any, error) {
			counts[w].Add(1)
			return w, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for range calls {
		if err := cli.Call(ctxT(t, 5*time.Second), "test.work", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	total := int32(0)
	for w := range workers {
		c := counts[w].Load()
		if c == 0 {
			t.Errorf("worker %d got no calls", w)
		}
		total += c
	}
	if total != calls {
		t.Fatalf("handled %d calls, want %d (each exactly once)", total, calls)
	}
}

func TestHandleWithoutQueueFansOut(t *testing.T) {
	srv := startServer(t, ServerConfig{Port: NoListen})
	cli := connectInProc(t, srv, Options{})
	var wg sync.WaitGroup
	wg.Add(2)
	for range 2 {
		b := connectInProc(t, srv, Options{})
		if _, err := b.Handle("test.all", "", func(context.Context, json.RawMessage) (any, error) {
			wg.Done()
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cli.Cast(ctxT(t, 5*time.Second), "test.all", nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("not every handler got the cast")
	}
}

func TestUnsubscribeHandler(t *testing.T) {
	srv, cli := pair(t)
	sub, err := srv.Handle("test.gone", "", echoHandler)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Call(ctxT(t, 5*time.Second), "test.gone", echoReq{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	if err := cli.Call(ctxT(t, 5*time.Second), "test.gone", echoReq{}, nil); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("after Unsubscribe: got %v, want ErrUnavailable", err)
	}
}

// Close lets a call already being handled answer, then refuses new work.
func TestCloseDrains(t *testing.T) {
	srv := startServer(t, ServerConfig{Port: NoListen})
	h, err := srv.Connect(Options{}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	cli := connectInProc(t, srv, Options{})
	started := make(chan struct{})
	if _, err := h.Handle("test.drain", "", func(context.Context, json.RawMessage) (any, error) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		return "done", nil
	}); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	var got string
	go func() { result <- cli.Call(ctxT(t, 5*time.Second), "test.drain", nil, &got) }()
	<-started
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-result; err != nil || got != "done" {
		t.Fatalf("in-flight call: %q, %v", got, err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := h.Handle("test.after", "", echoHandler); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("Handle after Close: %v", err)
	}
	if err := h.Call(ctxT(t, time.Second), "test.drain", nil, nil); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("Call after Close: %v", err)
	}
}
