package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/coder/websocket"
)

// AttachURL asks for a websocket URL attached to an interactive running
// container. The URL carries a single-use token valid for under a minute.
func (c *Client) AttachURL(ctx context.Context, id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	var u string
	if err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "attach"), out: &u}); err != nil {
		return "", err
	}
	return u, nil
}

// ResizeTTY sets the terminal size of an attached container.
func (c *Client) ResizeTTY(ctx context.Context, id string, width, height int) error {
	q := url.Values{}
	q.Set("w", strconv.Itoa(width))
	q.Set("h", strconv.Itoa(height))
	return c.action(ctx, id, "resize", q, nil)
}

// ArchiveStat describes the path read by GetArchive.
type ArchiveStat struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	Mode       uint32 `json:"mode"`
	Mtime      string `json:"mtime"`
	LinkTarget string `json:"linkTarget"`
}

// GetArchive returns a tar archive of path in the container.
func (c *Client) GetArchive(ctx context.Context, id, p string) ([]byte, ArchiveStat, error) {
	if err := checkID(id); err != nil {
		return nil, ArchiveStat{}, err
	}
	var out struct {
		Data string      `json:"data"`
		Stat ArchiveStat `json:"stat"`
	}
	q := url.Values{"path": {p}}
	if err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "get_archive"), query: q, out: &out}); err != nil {
		return nil, ArchiveStat{}, err
	}
	if !c.version.AtLeast(25) {
		return []byte(out.Data), out.Stat, nil
	}
	data, err := base64.StdEncoding.DecodeString(out.Data)
	if err != nil {
		return nil, ArchiveStat{}, fmt.Errorf("server sent invalid Base64: %w", err)
	}
	return data, out.Stat, nil
}

// PutArchive extracts a tar archive into directory p of the container.
func (c *Client) PutArchive(ctx context.Context, id, p string, tar []byte) error {
	if err := checkID(id); err != nil {
		return err
	}
	if !c.version.AtLeast(25) {
		return errors.New("put_archive needs API version 1.25 or later")
	}
	body := map[string]string{"data": base64.StdEncoding.EncodeToString(tar)}
	q := url.Values{"path": {p}}
	return c.do(ctx, request{method: http.MethodPost, path: path("containers", id, "put_archive"), query: q, body: body})
}

// Session is a websocket session with a container's process.
type Session struct {
	*websocket.Conn
}

// DialSession opens the websocket URL of an attach or interactive exec,
// sending the Origin python-zunclient sends (the proxy's own).
func DialSession(ctx context.Context, wsURL string) (*Session, error) {
	u, err := url.Parse(wsURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return nil, fmt.Errorf("invalid websocket URL")
	}
	origin := "http://" + u.Host
	if u.Scheme == "wss" {
		origin = "https://" + u.Host
	}
	conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPHeader:   http.Header{"Origin": {origin}},
		Subprotocols: []string{"binary"},
	})
	if err != nil {
		// The error text may hold the URL, and with it the token.
		if resp != nil {
			return nil, fmt.Errorf("websocket proxy refused the session: %s", resp.Status)
		}
		return nil, errors.New("failed to reach the websocket proxy")
	}
	conn.SetReadLimit(1 << 20)
	return &Session{Conn: conn}, nil
}
