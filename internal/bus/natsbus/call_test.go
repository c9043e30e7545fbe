package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

type echoReq struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func echoHandler(_ context.Context, payload json.RawMessage) (any, error) {
	var r echoReq
	if err := json.Unmarshal(payload, &r); err != nil {
		return nil, fmt.Errorf("bad request: %w", errdefs.ErrInvalidArgument)
	}
	r.Count++
	return r, nil
}

func TestCallRoundTrip(t *testing.T) {
	srv, cli := pair(t)
	if _, err := srv.Handle("test.echo", "", echoHandler); err != nil {
		t.Fatal(err)
	}
	var got echoReq
	if err := cli.Call(ctxT(t, 5*time.Second), "test.echo", echoReq{Name: "a", Count: 41}, &got); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if got != (echoReq{Name: "a", Count: 42}) {
		t.Fatalf("got %+v", got)
	}
	// A nil resp discards the result.
	if err := cli.Call(ctxT(t, 5*time.Second), "test.echo", echoReq{}, nil); err != nil {
		t.Fatalf("Call with nil resp: %v", err)
	}
	// A bad payload comes back as the handler's category.
	err := cli.Call(ctxT(t, 5*time.Second), "test.echo", "not an object", nil)
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("bad payload: got %v, want ErrInvalidArgument", err)
	}
}

func TestCallErrorCategories(t *testing.T) {
	cats := []error{
		errdefs.ErrInvalidArgument, errdefs.ErrNotFound, errdefs.ErrAlreadyExists,
		errdefs.ErrConflict, errdefs.ErrFailedPrecondition, errdefs.ErrForbidden,
		errdefs.ErrUnauthorized, errdefs.ErrQuotaExceeded, errdefs.ErrNotAcceptable,
		errdefs.ErrTooLarge, errdefs.ErrUnavailable, errdefs.ErrTimeout,
		errdefs.ErrNotImplemented, errdefs.ErrTooManyRequests, errdefs.ErrUnsupportedMedia,
		errdefs.ErrInternal,
	}
	srv, cli := pair(t)
	_, err := srv.Handle("test.fail", "", func(_ context.Context, p json.RawMessage) (any, error) {
		var i int
		if err := json.Unmarshal(p, &i); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("container %q: %w", "c1", cats[i])
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, cat := range cats {
		t.Run(errdefs.Code(cat), func(t *testing.T) {
			err := cli.Call(ctxT(t, 5*time.Second), "test.fail", i, nil)
			if !errors.Is(err, cat) {
				t.Fatalf("got %v, want %v", err, cat)
			}
			if want := fmt.Sprintf("container %q: %v", "c1", cat); err.Error() != want {
				t.Fatalf("message %q, want %q", err.Error(), want)
			}
		})
	}
	// An uncategorised error arrives as internal, message intact.
	_, err = srv.Handle("test.plain", "", func(context.Context, json.RawMessage) (any, error) {
		return nil, errors.New("disk on fire")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = cli.Call(ctxT(t, 5*time.Second), "test.plain", nil, nil)
	if !errors.Is(err, errdefs.ErrInternal) || err.Error() != "disk on fire" {
		t.Fatalf("plain error: got %v", err)
	}
}

type seen struct {
	RequestID string           `json:"request_id"`
	Identity  *zunctx.Identity `json:"identity"`
	System    bool             `json:"system"`
	Remaining time.Duration    `json:"remaining"`
	Deadline  bool             `json:"deadline"`
}

func observe(ctx context.Context) seen {
	var s seen
	s.RequestID = zunctx.RequestID(ctx)
	if id, ok := zunctx.IdentityFrom(ctx); ok {
		s.Identity = &id
	}
	s.System = zunctx.IsSystem(ctx)
	if dl, ok := ctx.Deadline(); ok {
		s.Deadline, s.Remaining = true, time.Until(dl)
	}
	return s
}

func TestCallPropagatesContext(t *testing.T) {
	srv := startServer(t, ServerConfig{Port: NoListen})
	h := connectInProc(t, srv, Options{})
	cli := connectInProc(t, srv, Options{DefaultTimeout: 7 * time.Second})
	if _, err := h.Handle("test.ctx", "", func(ctx context.Context, _ json.RawMessage) (any, error) {
		return observe(ctx), nil
	}); err != nil {
		t.Fatal(err)
	}
	id := zunctx.Identity{UserID: "u1", ProjectID: "p1", Roles: []string{"member", "reader"}}

	t.Run("identity and deadline", func(t *testing.T) {
		ctx := zunctx.WithRequestID(zunctx.WithIdentity(ctxT(t, 5*time.Second), id), "req-123")
		var s seen
		if err := cli.Call(ctx, "test.ctx", nil, &s); err != nil {
			t.Fatal(err)
		}
		if s.RequestID != "req-123" || s.Identity == nil || s.Identity.UserID != "u1" ||
			s.Identity.ProjectID != "p1" || len(s.Identity.Roles) != 2 || s.System {
			t.Fatalf("handler saw %+v", s)
		}
		if !s.Deadline || s.Remaining > 5*time.Second || s.Remaining < 4*time.Second {
			t.Fatalf("handler deadline %v (set %v), want about 5s", s.Remaining, s.Deadline)
		}
	})
	t.Run("system and default timeout", func(t *testing.T) {
		var s seen
		if err := cli.Call(zunctx.System(context.Background()), "test.ctx", nil, &s); err != nil {
			t.Fatal(err)
		}
		if !s.System || s.Identity != nil || s.RequestID != "" {
			t.Fatalf("handler saw %+v", s)
		}
		if !s.Deadline || s.Remaining > 7*time.Second || s.Remaining < 6*time.Second {
			t.Fatalf("handler deadline %v, want about 7s (DefaultTimeout)", s.Remaining)
		}
	})
	t.Run("cast", func(t *testing.T) {
		got := make(chan seen, 1)
		if _, err := h.Handle("test.ctxcast", "", func(ctx context.Context, _ json.RawMessage) (any, error) {
			got <- observe(ctx)
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		ctx := zunctx.WithRequestID(zunctx.WithIdentity(ctxT(t, 5*time.Second), id), "req-cast")
		if err := cli.Cast(ctx, "test.ctxcast", nil); err != nil {
			t.Fatal(err)
		}
		s := <-got
		if s.RequestID != "req-cast" || s.Identity == nil || s.Identity.UserID != "u1" {
			t.Fatalf("cast handler saw %+v", s)
		}
		if s.Deadline {
			t.Fatalf("cast handler has the caller's deadline; it must run on its own")
		}
	})
}

func TestNoResponderIsUnavailableFast(t *testing.T) {
	_, cli := pair(t)
	for _, op := range []string{"call", "cast"} {
		t.Run(op, func(t *testing.T) {
			start := time.Now()
			var err error
			if op == "call" {
				err = cli.Call(context.Background(), "test.nobody", nil, nil)
			} else {
				err = cli.Cast(context.Background(), "test.nobody", nil)
			}
			elapsed := time.Since(start)
			if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "test.nobody") {
				t.Fatalf("got %v, want ErrUnavailable naming the subject", err)
			}
			if elapsed > 250*time.Millisecond {
				t.Fatalf("took %v, want well under 1s", elapsed)
			}
		})
	}
}

func TestCallTimeoutIsUnavailable(t *testing.T) {
	srv, cli := pair(t)
	cancelled := make(chan error, 1)
	if _, err := srv.Handle("test.slow", "", func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		cancelled <- ctx.Err()
		return nil, ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := cli.Call(ctxT(t, 200*time.Millisecond), "test.slow", nil, nil)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("got %v, want ErrUnavailable timed out", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want it to wrap context.DeadlineExceeded too", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("took %v", elapsed)
	}
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("handler ctx ended with %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("handler's context never expired: deadline not propagated")
	}
	// A cancelled caller context is not reported as a dead peer.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := cli.Call(ctx, "test.slow", nil, nil); !errors.Is(err, context.Canceled) || errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("cancelled ctx: got %v", err)
	}
}

func TestHandlerPanic(t *testing.T) {
	srv, cli := pair(t)
	var casts atomic.Int32
	if _, err := srv.Handle("test.panic", "", func(context.Context, json.RawMessage) (any, error) {
		casts.Add(1)
		panic("boom")
	}); err != nil {
		t.Fatal(err)
	}
	err := cli.Call(ctxT(t, 5*time.Second), "test.panic", nil, nil)
	if !errors.Is(err, errdefs.ErrInternal) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v, want ErrInternal mentioning the panic", err)
	}
	if err := cli.Cast(ctxT(t, 5*time.Second), "test.panic", nil); err != nil {
		t.Fatalf("cast to panicking handler: %v", err)
	}
	// The serving side survives both.
	deadline := time.Now().Add(2 * time.Second)
	for casts.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cli.Call(ctxT(t, 5*time.Second), "test.panic", nil, nil); !errors.Is(err, errdefs.ErrInternal) {
		t.Fatalf("after panics: %v", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	srv, cli := pair(t)
	if _, err := srv.Handle("test.echo", "workers", echoHandler); err != nil {
		t.Fatal(err)
	}
	const goroutines, calls = 32, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				var got echoReq
				name := fmt.Sprintf("g%d-%d", g, i)
				if err := cli.Call(ctxT(t, 10*time.Second), "test.echo", echoReq{Name: name, Count: i}, &got); err != nil {
					errs <- err
					return
				}
				if got.Name != name || got.Count != i+1 {
					errs <- fmt.Errorf("reply mixed up: sent %s/%d got %+v", name, i, got)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
