package wsproxy

import "sync"

// maxOutMessage bounds one message to the client (what one read of the
// link could give before the outbox existed: clients may set read limits).
const maxOutMessage = 256 << 10

// outbox carries the link's output to the websocket writer. While the
// writer is busy sending a message, what the link gives gathers here and
// leaves as one message: a busy stream goes out in large messages, one
// write each, instead of one message per TLS record. An idle writer takes
// each read at once, so a keystroke's echo is never held back to wait for
// more.
//
// With text set (the "binary" subprotocol, whose clients decode messages
// as UTF-8) a trailing incomplete UTF-8 sequence stays in the outbox until
// the rest of it arrives, so no message ends in half a character. At the
// end of the stream everything left goes out.
type outbox struct {
	text bool

	mu     sync.Mutex
	cond   sync.Cond
	buf    []byte
	end    error // the link's end (io.EOF or its error), after the last put
	closed bool  // the writer has gone: puts are refused
}

func newOutbox(text bool) *outbox {
	// The buffers grow with the stream: a quiet session keeps small ones.
	o := &outbox{text: text}
	o.cond.L = &o.mu
	return o
}

// put adds p, waiting while the outbox holds too much to take it. It
// returns false once the writer has gone.
func (o *outbox) put(p []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed && len(o.buf) > 0 && len(o.buf)+len(p) > maxOutMessage {
		o.cond.Wait()
	}
	if o.closed {
		return false
	}
	o.buf = append(o.buf, p...)
	o.cond.Broadcast()
	return true
}

// finish records the end of the link's output; take hands out what is
// left, then err.
func (o *outbox) finish(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.end = err
	o.cond.Broadcast()
}

// close tells a waiting put that the writer has gone.
func (o *outbox) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	o.cond.Broadcast()
}

// take waits for something to send and returns it. spare is the buffer
// of the previous message, returned for reuse (the two alternate, so a
// busy stream allocates nothing). After the end, take returns what is
// left with the end's error; an empty message with it means nothing is
// left.
func (o *outbox) take(spare []byte) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		n := len(o.buf)
		if o.end != nil {
			msg := o.buf
			o.buf = spare[:0]
			o.cond.Broadcast()
			return msg, o.end
		}
		if o.text {
			n = completeUTF8(o.buf)
		}
		if n > 0 {
			msg := o.buf[:n]
			// The held-back tail (at most 3 bytes) moves to the front
			// of the other buffer.
			o.buf = append(spare[:0], o.buf[n:]...)
			o.cond.Broadcast()
			return msg, nil
		}
		o.cond.Wait()
	}
}
