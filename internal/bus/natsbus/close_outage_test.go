package natsbus

import (
	"testing"
	"time"
)

// Close during an outage does not hang on draining through a dead server.
func TestCloseDuringOutage(t *testing.T) {
	srv, err := StartServer(ServerConfig{Port: RandomPort, User: "zun", Password: "pw"}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Connect(ctxT(t, 5*time.Second), srv.ClientURL(),
		Options{User: "zun", Password: "pw", DrainTimeout: 2 * time.Second}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Handle("test.echo", "q", echoHandler); err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	for b.Conn().IsConnected() {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	_ = b.Close()
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("Close took %v during an outage", elapsed)
	}
	if !b.Conn().IsClosed() {
		t.Fatal("connection not closed")
	}
}
