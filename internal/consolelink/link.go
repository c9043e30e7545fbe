package consolelink

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
)

// Session statuses an agent answers.
const (
	StatusOK     = "ok"
	StatusDenied = "denied" // no such grant: the proxy says 403, no detail
	StatusBusy   = "busy"   // too many sessions on the container: 429
	StatusFailed = "failed" // the engine could not open the stream
)

// ErrAuth is a failed mutual authentication.
var ErrAuth = errors.New("console link authentication failed")

const (
	exporterLabel = "EXPORTER-zun-console-link"
	macLen        = sha256.Size
	maxLine       = 4096
	// readBuffer is the link's read buffer: what the engine side copies
	// at a time towards the process (bufio.Reader.WriteTo reads this much).
	readBuffer = 64 << 10
	// handshakeTimeout bounds the whole handshake of a link.
	handshakeTimeout = 10 * time.Second
)

// Operations of a link besides a session ("").
const (
	OpGetArchive = "get_archive" // the agent streams a tar archive
	OpPutArchive = "put_archive" // the caller streams a tar archive
)

// Request is what the proxy (or zun-api, for a copy) asks for.
type Request struct {
	TokenHash [32]byte `json:"token_hash"`
	UUID      string   `json:"uuid"`
	ExecID    string   `json:"exec_id,omitempty"`
	// Op must be the operation of the grant.
	Op string `json:"op,omitempty"`
}

// Reply is the agent's answer; with StatusOK the raw stream follows.
type Reply struct {
	Status    string `json:"status"`
	ProjectID string `json:"project_id,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	TTY       bool   `json:"tty,omitempty"`
	// Stat describes the path of a get_archive.
	Stat *container.PathStat `json:"stat,omitempty"`
	// Error is why a copy failed (StatusFailed), with its category.
	Error *errdefs.Wire `json:"error,omitempty"`
}

func mac(secret []byte, role string, ekm []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("zun-console-link " + role + "\x00"))
	m.Write(ekm)
	return m.Sum(nil)
}

func exported(c *tls.Conn) ([]byte, error) {
	st := c.ConnectionState()
	return st.ExportKeyingMaterial(exporterLabel, nil, 32)
}

// Conn is an open session stream on the proxy's side.
type Conn struct {
	*tls.Conn
	r *bufio.Reader
}

// Read reads the stream (after the reply line).
func (c *Conn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Dial opens a link to the agent at addr, authenticates both ends and
// asks for req's session. A non-OK status is returned in Reply with a nil
// Conn.
func Dial(ctx context.Context, addr string, secret []byte, req Request) (*Conn, Reply, error) {
	conf := &tls.Config{
		MinVersion: tls.VersionTLS13,
		// The agent's certificate is ephemeral and unsigned: the
		// authentication is the HMAC over the exporter value below, which
		// binds this very TLS session to the shared secret.
		InsecureSkipVerify: true, //nolint:gosec
		// Full 16 KiB records from the first byte: a session is one
		// long stream, not a page load that wants a fast first packet.
		DynamicRecordSizingDisabled: true,
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, Reply{}, fmt.Errorf("failed to reach agent console link: %w", err)
	}
	c := tls.Client(newBufferedConn(raw), conf)
	fail := func(err error) (*Conn, Reply, error) { _ = c.Close(); return nil, Reply{}, err }
	deadline := time.Now().Add(handshakeTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = c.SetDeadline(deadline)
	if err := c.HandshakeContext(ctx); err != nil {
		return fail(fmt.Errorf("failed to reach agent console link: %w", err))
	}
	ekm, err := exported(c)
	if err != nil {
		return fail(err)
	}
	if _, err := c.Write(mac(secret, "proxy", ekm)); err != nil {
		return fail(fmt.Errorf("failed to authenticate to agent: %w", err))
	}
	theirs := make([]byte, macLen)
	br := bufio.NewReaderSize(c, readBuffer)
	if _, err := io.ReadFull(br, theirs); err != nil {
		return fail(ErrAuth)
	}
	if !hmac.Equal(theirs, mac(secret, "agent", ekm)) {
		return fail(ErrAuth)
	}
	b, _ := json.Marshal(req)
	if _, err := c.Write(append(b, '\n')); err != nil {
		return fail(err)
	}
	var rep Reply
	if err := readLine(br, &rep); err != nil {
		return fail(fmt.Errorf("failed to read agent reply: %w", err))
	}
	_ = c.SetDeadline(time.Time{})
	if rep.Status != StatusOK {
		_ = c.Close()
		return nil, rep, nil
	}
	return &Conn{Conn: c, r: br}, rep, nil
}

func readLine(br *bufio.Reader, v any) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if len(line) > maxLine {
		return errors.New("line too long")
	}
	return json.Unmarshal(line, v)
}

// serverTLS returns a TLS 1.3 configuration with a fresh self-signed
// certificate (it carries no trust; see Dial).
func serverTLS() (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "zun-compute console link"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS13, DynamicRecordSizingDisabled: true,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, nil
}

// accept authenticates an incoming link and reads its request.
func accept(raw net.Conn, tlsConf *tls.Config, secret []byte) (*tls.Conn, *bufio.Reader, Request, error) {
	c := tls.Server(newBufferedConn(raw), tlsConf)
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := c.Handshake(); err != nil {
		return nil, nil, Request{}, err
	}
	ekm, err := exported(c)
	if err != nil {
		return nil, nil, Request{}, err
	}
	br := bufio.NewReaderSize(c, readBuffer)
	theirs := make([]byte, macLen)
	if _, err := io.ReadFull(br, theirs); err != nil {
		return nil, nil, Request{}, ErrAuth
	}
	if !hmac.Equal(theirs, mac(secret, "proxy", ekm)) {
		return nil, nil, Request{}, ErrAuth
	}
	if _, err := c.Write(mac(secret, "agent", ekm)); err != nil {
		return nil, nil, Request{}, err
	}
	var req Request
	if err := readLine(br, &req); err != nil {
		return nil, nil, Request{}, fmt.Errorf("bad console request: %w", err)
	}
	_ = c.SetDeadline(time.Time{})
	return c, br, req, nil
}
