package consolelink

import (
	"bufio"
	"net"
)

// readAhead is the buffer under each end's TLS connection. TLS reads a
// record header, then the rest of the record, from the connection: two
// or more read syscalls per 16 KiB record. With this buffer one read takes
// whatever the socket holds, up to four records.
const readAhead = 64 << 10

// bufferedConn reads a connection through a bufio.Reader; the rest of
// net.Conn is the connection's own.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func newBufferedConn(c net.Conn) *bufferedConn {
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readAhead)}
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// CloseWrite half-closes a TCP connection (tls.Conn.CloseWrite looks for
// it on the connection under it).
func (c *bufferedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
