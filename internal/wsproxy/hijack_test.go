package wsproxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestBigWriteHijacker: the hijacked connection writes through a 64 KiB
// buffer (net/http's own is 4 KiB), after the response header, and what a
// client sent early is still there to read.
func TestBigWriteHijacker(t *testing.T) {
	size := make(chan int, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusSwitchingProtocols)
		conn, brw, err := bigWriteHijacker{w}.Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		size <- brw.Writer.Size()
		early, _ := brw.Reader.ReadString('\n')
		_, _ = brw.WriteString("after:" + early)
		_ = brw.Flush()
	}))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nearly\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "after:early\n" {
		t.Fatalf("after the header: %q", rest)
	}
	if n := <-size; n != wsWriteBuffer {
		t.Fatalf("write buffer %d, want %d", n, wsWriteBuffer)
	}
}
