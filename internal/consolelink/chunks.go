package consolelink

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/openzun/zun/internal/errdefs"
)

// An archive travels over the link in chunks: a 4-byte big-endian length
// and that many bytes, a zero length ending the data, then one JSON line
// with the outcome (an errdefs.Wire, or null). The end marker tells a
// complete archive from a link cut in the middle, and the outcome carries
// the error category across (a refused entry stays a 400 at the API).

// maxChunk bounds one chunk; writers send at most this much at a time.
const maxChunk = 1 << 20

// ErrTruncated is a chunk stream that ended without its end marker.
var ErrTruncated = errors.New("archive stream cut before its end")

// ChunkWriter frames writes as chunks.
type ChunkWriter struct {
	w   *bufio.Writer
	hdr [4]byte
}

// NewChunkWriter returns a writer framing into w.
func NewChunkWriter(w io.Writer) *ChunkWriter {
	return &ChunkWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write sends p as one or more chunks.
func (c *ChunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), maxChunk)
		binary.BigEndian.PutUint32(c.hdr[:], uint32(k))
		if _, err := c.w.Write(c.hdr[:]); err != nil {
			return n, err
		}
		if _, err := c.w.Write(p[:k]); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
	}
	return n, nil
}

// ReadFrom copies r in chunks of up to 256 KiB without an extra buffer
// per call of the caller's io.Copy.
func (c *ChunkWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Finish sends the end marker and the outcome (nil: success) and flushes.
func (c *ChunkWriter) Finish(outcome error) error {
	binary.BigEndian.PutUint32(c.hdr[:], 0)
	if _, err := c.w.Write(c.hdr[:]); err != nil {
		return err
	}
	b, _ := json.Marshal(errdefs.ToWire(outcome))
	if _, err := c.w.Write(append(b, '\n')); err != nil {
		return err
	}
	return c.w.Flush()
}

// Flush sends what is buffered.
func (c *ChunkWriter) Flush() error { return c.w.Flush() }

// ChunkReader reads the data of a chunk stream; at the end marker it
// reads the outcome and returns io.EOF, or the sender's error.
type ChunkReader struct {
	r    *bufio.Reader
	left uint32
	done bool
	// outcome is the sender's error, after the end.
	outcome error
}

// NewChunkReader reads chunks from r.
func NewChunkReader(r *bufio.Reader) *ChunkReader { return &ChunkReader{r: r} }

// Read implements io.Reader.
func (c *ChunkReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			if c.outcome != nil {
				return 0, c.outcome
			}
			return 0, io.EOF
		}
		var hdr [4]byte
		if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
			return 0, ErrTruncated
		}
		c.left = binary.BigEndian.Uint32(hdr[:])
		if c.left > maxChunk {
			return 0, fmt.Errorf("archive chunk of %d bytes: %w", c.left, ErrTruncated)
		}
		if c.left == 0 {
			var w *errdefs.Wire
			if err := readLine(c.r, &w); err != nil {
				return 0, ErrTruncated
			}
			c.done, c.outcome = true, errdefs.FromWire(w)
		}
	}
	if uint32(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= uint32(n)
	if err != nil && (c.left > 0 || !errors.Is(err, io.EOF)) {
		return n, ErrTruncated
	}
	return n, nil
}

// WriteTo copies the data to w in reads of up to 256 KiB (io.Copy's
// default 32 KiB costs eight times the calls).
func (c *ChunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	buf := make([]byte, 256<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Ended reports whether the end marker was read.
func (c *ChunkReader) Ended() bool { return c.done }
