package wsproxy

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
)

// wsWriteBuffer is the write buffer of a hijacked websocket connection.
// net/http hands a hijacker a 4 KiB bufio.Writer, and the websocket
// library writes a frame's header and payload through it: any message
// over 4 KiB went out as two writes (the buffer's first 4 KiB, then the
// rest). With 64 KiB a message of up to that size is one write.
const wsWriteBuffer = 64 << 10

// bigWriteHijacker gives the websocket library a connection whose write
// buffer is wsWriteBuffer. The library finds Hijack on the writer itself
// (it also follows Unwrap, which is why the embedded writer is not
// exposed that way).
type bigWriteHijacker struct {
	http.ResponseWriter
}

func (h bigWriteHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// net/http flushed the response header before handing the
	// connection over; flush again in case a wrapper buffered.
	if err := brw.Writer.Flush(); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("failed to flush the handshake: %w", err)
	}
	brw.Writer = bufio.NewWriterSize(conn, wsWriteBuffer)
	return conn, brw, nil
}
