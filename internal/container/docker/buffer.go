package docker

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max       int
	buf       []byte
	truncated bool
}

func newTailBuffer(limit int) *tailBuffer { return &tailBuffer{max: limit} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		b.truncated = true
		return n, nil
	}
	b.buf = append(b.buf, p...)
	// Compact once the buffer doubles, so writes stay amortised O(1).
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
		b.truncated = true
	}
	return n, nil
}

// String returns the kept tail; when older output was dropped it starts at
// the first full line.
func (b *tailBuffer) String() string {
	out := b.buf
	if len(out) > b.max {
		out = out[len(out)-b.max:]
		b.truncated = true
	}
	if b.truncated {
		for i, c := range out {
			if c == '\n' {
				out = out[i+1:]
				break
			}
		}
	}
	return string(out)
}

// headBuffer keeps the first max bytes written to it and discards the
// rest, still accepting writes so the producer is never blocked.
type headBuffer struct {
	max       int
	buf       []byte
	truncated bool
}

func newHeadBuffer(limit int) *headBuffer { return &headBuffer{max: limit} }

func (b *headBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room < len(p) {
		b.buf = append(b.buf, p[:max(room, 0)]...)
		b.truncated = true
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *headBuffer) String() string { return string(b.buf) }
