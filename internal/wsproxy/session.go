package wsproxy

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/openzun/zun/internal/consolelink"
)

// maxInputMessage bounds one message from the client (keystrokes and
// pastes).
const maxInputMessage = 1 << 20

// session relays one websocket to one console link.
type session struct {
	proxy     *Proxy
	ws        *websocket.Conn
	link      *consolelink.Conn
	user      string
	container string
	exec      string

	once     sync.Once
	mu       sync.Mutex
	lastSeen time.Time
}

func (s *session) touch() {
	s.mu.Lock()
	s.lastSeen = time.Now()
	s.mu.Unlock()
}

func (s *session) idleFor() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Since(s.lastSeen)
}

// shutdown closes both sides once.
func (s *session) shutdown(code websocket.StatusCode, reason string) {
	s.once.Do(func() {
		_ = s.link.Close()
		if s.ws != nil {
			_ = s.ws.Close(code, reason)
		}
	})
}

// run relays until either side ends, the session idles out or ctx ends,
// and returns why it ended.
func (s *session) run(ctx context.Context) string {
	s.touch()
	s.ws.SetReadLimit(maxInputMessage)
	b64 := s.ws.Subprotocol() == "base64"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reason := make(chan string, 3)

	go func() { // client -> container
		// One buffer for the session: a message is copied through it
		// (a paste of 1 MiB is 16 reads), not allocated whole.
		buf := make([]byte, 64<<10)
		for {
			r := s.readMessage(ctx, b64)
			if r.err != nil {
				reason <- r.reason
				return
			}
			s.touch()
			if r.body != nil {
				if _, err := s.link.Write(r.body); err != nil {
					reason <- "agent closed"
					return
				}
				continue
			}
			if _, err := io.CopyBuffer(writerOnly{s.link}, r.reader, buf); err != nil {
				if errors.Is(err, errLinkWrite) {
					reason <- "agent closed"
				} else {
					reason <- "client closed"
				}
				return
			}
		}
	}()
	// container -> client: one goroutine reads the link into the outbox,
	// another sends what gathered there (outbox.go).
	out := newOutbox(!b64)
	go func() {
		// A read of the link gives at most one TLS record (16 KiB).
		buf := make([]byte, 64<<10)
		for {
			n, err := s.link.Read(buf)
			if n > 0 {
				s.touch()
				if !out.put(buf[:n]) {
					return
				}
			}
			if err != nil {
				out.finish(err)
				return
			}
		}
	}()
	go func() {
		defer out.close()
		var msg, enc []byte
		for {
			var end error
			msg, end = out.take(msg)
			if werr := s.write(ctx, msg, b64, &enc); werr != nil {
				reason <- "client closed"
				return
			}
			if end != nil {
				// Everything the process wrote has been sent.
				if errors.Is(end, io.EOF) {
					reason <- "session ended"
				} else {
					reason <- "agent closed"
				}
				return
			}
		}
	}()
	idle := time.NewTicker(min(s.proxy.cfg.IdleTimeout/4, 5*time.Second))
	defer idle.Stop()
	for {
		select {
		case r := <-reason:
			code := websocket.StatusNormalClosure
			if r == "agent closed" {
				code = websocket.StatusGoingAway
			}
			s.shutdown(code, "")
			return r
		case <-idle.C:
			if s.idleFor() >= s.proxy.cfg.IdleTimeout {
				s.shutdown(websocket.StatusPolicyViolation, "idle timeout")
				return "idle timeout"
			}
		case <-ctx.Done():
			s.shutdown(websocket.StatusGoingAway, "")
			return "proxy shutting down"
		}
	}
}

// write sends p as one message; enc is the reused buffer of base64.
func (s *session) write(ctx context.Context, p []byte, b64 bool, enc *[]byte) error {
	if len(p) == 0 {
		return nil
	}
	if b64 {
		*enc = base64.StdEncoding.AppendEncode((*enc)[:0], p)
		return s.ws.Write(ctx, websocket.MessageText, *enc)
	}
	return s.ws.Write(ctx, websocket.MessageBinary, p)
}

// completeUTF8 returns the length of p without a trailing incomplete
// UTF-8 sequence (at most 3 bytes held back; invalid bytes pass).
func completeUTF8(p []byte) int {
	for i := 1; i <= 3 && i <= len(p); i++ {
		c := p[len(p)-i]
		if c < 0x80 {
			return len(p)
		}
		if c >= 0xC0 { // a leading byte
			if !utf8.FullRune(p[len(p)-i:]) {
				return len(p) - i
			}
			return len(p)
		}
	}
	return len(p)
}

// message is one client message: body (decoded base64) or reader (raw).
type message struct {
	body   []byte
	reader io.Reader
	err    error
	reason string
}

func (s *session) readMessage(ctx context.Context, b64 bool) message {
	if b64 {
		_, msg, err := s.ws.Read(ctx)
		if err != nil {
			return message{err: err, reason: "client closed"}
		}
		if msg, err = base64.StdEncoding.AppendDecode(nil, msg); err != nil {
			return message{err: err, reason: "bad base64 input"}
		}
		return message{body: msg}
	}
	_, r, err := s.ws.Reader(ctx)
	if err != nil {
		return message{err: err, reason: "client closed"}
	}
	return message{reader: r}
}

// errLinkWrite marks a failed write to the agent in a copy.
var errLinkWrite = errors.New("console link write failed")

// writerOnly tags the link's write errors, so a failed copy says which
// side ended the session.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		return n, errLinkWrite
	}
	return n, nil
}
