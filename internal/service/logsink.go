package service

import (
	"io"
	"sync"
)

// maxSpare bounds the buffer a logSink keeps between batches.
const maxSpare = 64 << 10

// logSink coalesces concurrent log lines into one write to the underlying
// file. The API logs a line per request; written one by one, each line is
// a system call made while the log handler holds its lock, so under load
// the requests queue on that lock. Here a line is appended to a buffer and
// the first writer to find no write in progress writes the buffer, and
// whatever was appended meanwhile, outside the lock; the others return at
// once. A lone line is written at once, as before; Flush waits for lines
// still in flight (at exit).
type logSink struct {
	w io.Writer

	mu      sync.Mutex
	buf     []byte
	spare   []byte
	writing bool
	idle    sync.Cond // signalled when a writer finishes
}

func newLogSink(w io.Writer) *logSink {
	s := &logSink{w: w}
	s.idle.L = &s.mu
	return s
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf = append(s.buf, p...)
	if s.writing {
		s.mu.Unlock()
		return len(p), nil
	}
	s.writing = true
	var err error
	for len(s.buf) > 0 {
		out := s.buf
		s.buf = s.spare[:0]
		s.mu.Unlock()
		_, werr := s.w.Write(out)
		s.mu.Lock()
		if werr != nil && err == nil {
			err = werr
		}
		if cap(out) <= maxSpare {
			s.spare = out[:0]
		} else {
			s.spare = nil
		}
	}
	s.writing = false
	s.idle.Broadcast()
	s.mu.Unlock()
	return len(p), err
}

// Flush returns once every line written before the call has been handed
// to the underlying writer.
func (s *logSink) Flush() {
	s.mu.Lock()
	for s.writing {
		s.idle.Wait()
	}
	s.mu.Unlock()
}
