package wsproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/openzun/zun/internal/consolelink"
	"github.com/openzun/zun/internal/container"
)

// Sessions through the whole path: websocket client, proxy, TLS console
// link, agent, and a process stream at the end (the fake driver's echo, or
// a process whose output the test writes).

// scripted is a process whose output is what the test sends on out, in
// those reads; closing out ends its output (EOF). Its input is dropped.
type scripted struct {
	out  chan []byte
	rest []byte
	done chan struct{}
	once sync.Once
}

func newScripted() *scripted {
	return &scripted{out: make(chan []byte), done: make(chan struct{})}
}

func (s *scripted) opener() consolelink.Opener {
	return func(context.Context, consolelink.Grant) (container.Stream, error) { return s, nil }
}

func (s *scripted) Read(p []byte) (int, error) {
	if len(s.rest) == 0 {
		select {
		case b, ok := <-s.out:
			if !ok {
				return 0, io.EOF
			}
			s.rest = b
		case <-s.done:
			return 0, io.EOF
		}
	}
	n := copy(p, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}

func (s *scripted) Write(p []byte) (int, error) { return len(p), nil }
func (s *scripted) CloseWrite() error           { return nil }
func (s *scripted) Close() error                { s.once.Do(func() { close(s.done) }); return nil }

// readMessage reads one message, failing the test after 10 s.
func readMessage(t *testing.T, ws *websocket.Conn) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, m, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// readToEnd reads messages until the session closes and wants a normal
// closure (the process's output ended).
func readToEnd(t *testing.T, ws *websocket.Conn) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var msgs [][]byte
	for {
		_, m, err := ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Fatalf("session ended with %v, want a normal closure", err)
			}
			return msgs
		}
		msgs = append(msgs, m)
	}
}

// TestSessionEchoIntact sends 8 MiB of random bytes in messages of random
// size while reading the echo: it comes back whole and in order.
func TestSessionEchoIntact(t *testing.T) {
	drv, c := fakeRunning(t)
	ws := proxyOverDriver(t, drv, c)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 8<<20)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	errc := make(chan error, 1)
	go func() {
		for p := data; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(200<<10))
			if err := ws.Write(context.Background(), websocket.MessageBinary, p[:n]); err != nil {
				errc <- err
				return
			}
			p = p[n:]
		}
		errc <- nil
	}()
	got := make([]byte, 0, len(data))
	for len(got) < len(data) {
		got = append(got, readMessage(t, ws)...)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		i := 0
		for i < len(got) && got[i] == data[i] {
			i++
		}
		t.Fatalf("echo differs from byte %d (got %d bytes, sent %d)", i, len(got), len(data))
	}
}

// TestSessionOutputIntact: 32 MiB of random output, written faster than
// one message at a time can leave (so the outbox gathers), arrives whole
// and in order, and the session closes normally once it is all sent.
func TestSessionOutputIntact(t *testing.T) {
	_, c := fakeRunning(t)
	proc := newScripted()
	ws := proxyOver(t, proc.opener(), c)
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 32<<20)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	go func() {
		for p := data; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(100<<10))
			proc.out <- p[:n]
			p = p[n:]
		}
		close(proc.out)
	}()
	msgs := readToEnd(t, ws)
	got := bytes.Join(msgs, nil)
	if !bytes.Equal(got, data) {
		t.Fatalf("output differs (got %d bytes, want %d)", len(got), len(data))
	}
	if len(msgs) >= len(data)/(16<<10) {
		t.Errorf("%d messages for %d bytes: the output was not gathered", len(msgs), len(data))
	}
	for _, m := range msgs {
		if len(m) > maxOutMessage {
			t.Fatalf("a message of %d bytes; the bound is %d", len(m), maxOutMessage)
		}
	}
}

// TestSessionSplitRune: a character split across two reads of the
// process's output reaches the client whole, in one message.
func TestSessionSplitRune(t *testing.T) {
	_, c := fakeRunning(t)
	proc := newScripted()
	ws := proxyOver(t, proc.opener(), c)
	proc.out <- []byte("a\xe2\x82") // "a" and 2 of the 3 bytes of "€"
	if m := readMessage(t, ws); string(m) != "a" {
		t.Fatalf("first message %q, want %q", m, "a")
	}
	proc.out <- []byte("\xac b")
	if m := readMessage(t, ws); string(m) != "€ b" || !utf8.Valid(m) {
		t.Fatalf("second message %q, want %q", m, "€ b")
	}
	close(proc.out)
	if msgs := readToEnd(t, ws); len(msgs) != 0 {
		t.Fatalf("messages after the end: %q", msgs)
	}
}

// TestSessionFlushOnEnd: when the process's output ends, what is left
// goes out before the close, even a trailing incomplete character.
func TestSessionFlushOnEnd(t *testing.T) {
	_, c := fakeRunning(t)
	proc := newScripted()
	ws := proxyOver(t, proc.opener(), c)
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	go func() {
		proc.out <- big
		proc.out <- []byte("ab\xe2\x82")
		close(proc.out)
	}()
	got := bytes.Join(readToEnd(t, ws), nil)
	if want := append(append([]byte{}, big...), "ab\xe2\x82"...); !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes ending %q, want %d ending %q", len(got), got[max(0, len(got)-4):], len(want), want[len(want)-4:])
	}
}

// TestSessionKeystrokeNotHeld: with nothing else to send, one byte of
// output leaves at once, without waiting for more; and one keystroke's
// echo comes back.
func TestSessionKeystrokeNotHeld(t *testing.T) {
	_, c := fakeRunning(t)
	proc := newScripted()
	ws := proxyOver(t, proc.opener(), c)
	for _, k := range []string{"x", "y", "\r\n"} {
		proc.out <- []byte(k)
		// The process writes nothing more until the client has it.
		if m := readMessage(t, ws); string(m) != k {
			t.Fatalf("message %q, want %q", m, k)
		}
	}
	drv, c2 := fakeRunning(t)
	echo := proxyOverDriver(t, drv, c2)
	if err := echo.Write(context.Background(), websocket.MessageBinary, []byte("k")); err != nil {
		t.Fatal(err)
	}
	if m := readMessage(t, echo); string(m) != "k" {
		t.Fatalf("echo %q, want %q", m, "k")
	}
}

func TestOutboxGathersWhileBusy(t *testing.T) {
	o := newOutbox(true)
	// The writer is busy: three reads gather.
	for _, p := range []string{"ab", "cd", "e\xe2"} {
		if !o.put([]byte(p)) {
			t.Fatal("put refused")
		}
	}
	msg, err := o.take(nil)
	if string(msg) != "abcde" || err != nil {
		t.Fatalf("take = %q, %v; want the gathered reads without the partial rune", msg, err)
	}
	o.put([]byte("\x82\xac"))
	if msg, _ = o.take(nil); string(msg) != "€" {
		t.Fatalf("take = %q, want %q", msg, "€")
	}
	o.put([]byte("z\xe2"))
	o.finish(io.EOF)
	if msg, err = o.take(nil); string(msg) != "z\xe2" || !errors.Is(err, io.EOF) {
		t.Fatalf("take at the end = %q, %v; want everything left and EOF", msg, err)
	}
	if msg, err = o.take(nil); len(msg) != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("take after the end = %q, %v", msg, err)
	}
}

func TestOutboxBounded(t *testing.T) {
	o := newOutbox(false)
	o.put(make([]byte, maxOutMessage-10))
	put := make(chan bool)
	go func() { put <- o.put(make([]byte, 100)) }()
	select {
	case <-put:
		t.Fatal("put went over the bound")
	case <-time.After(50 * time.Millisecond):
	}
	if msg, _ := o.take(nil); len(msg) != maxOutMessage-10 {
		t.Fatalf("took %d bytes", len(msg))
	}
	if !<-put {
		t.Fatal("put refused after the take")
	}
	// A writer gone releases a waiting put.
	o.put(make([]byte, maxOutMessage-100))
	go func() { put <- o.put(make([]byte, 200)) }()
	o.close()
	if <-put {
		t.Fatal("put accepted after the writer left")
	}
}
