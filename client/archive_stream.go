package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/openzun/zun/api"
)

// GetArchiveStream returns the tar archive of path in the container as a
// stream (the caller closes it), without the JSON form's size limit. A
// transfer the server cuts (the archive passed the copy limit) ends in a
// read error, never in a short archive that looks complete.
func (c *Client) GetArchiveStream(ctx context.Context, id, p string) (io.ReadCloser, ArchiveStat, error) {
	if err := checkID(id); err != nil {
		return nil, ArchiveStat{}, err
	}
	resp, err := c.stream(ctx, http.MethodGet, path("containers", id, "get_archive"), url.Values{"path": {p}}, nil)
	if err != nil {
		return nil, ArchiveStat{}, err
	}
	var st ArchiveStat
	if raw, err := base64.StdEncoding.DecodeString(resp.Header.Get(api.ArchiveStatHeader)); err == nil {
		_ = json.Unmarshal(raw, &st)
	}
	return resp.Body, st, nil
}

// PutArchiveStream extracts the tar archive read from r into directory p
// of the container, streamed in the request body.
func (c *Client) PutArchiveStream(ctx context.Context, id, p string, r io.Reader) error {
	if err := checkID(id); err != nil {
		return err
	}
	resp, err := c.stream(ctx, http.MethodPost, path("containers", id, "put_archive"), url.Values{"path": {p}}, r)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return resp.Body.Close()
}

// stream sends one request whose body or answer is a raw archive. The body
// cannot be replayed, so an expired token is renewed before, not after.
func (c *Client) stream(ctx context.Context, method, p string, q url.Values, body io.Reader) (*http.Response, error) {
	tok, endpoint, err := c.auth.Session(ctx)
	if err != nil {
		return nil, err
	}
	u := baseURL(endpoint) + p + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("failed to build request: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set(api.VersionHeader, c.header)
	if tok != "" {
		req.Header.Set("X-Auth-Token", tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", api.ArchiveMediaType)
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", api.ArchiveMediaType+", application/json;q=0.5")
	}
	// A copy of a large tree takes longer than the client's timeout for
	// ordinary calls: the request's context bounds it instead.
	hc := *c.http
	hc.Timeout = 0
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to call %s %s: %w", method, u, err)
	}
	c.log.DebugContext(ctx, "request", "method", method, "url", u, "status", resp.StatusCode,
		"duration", time.Since(start), "request_id", requestID(resp))
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		return nil, decodeError(resp, b)
	}
	return resp, nil
}
