package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/openzun/zun/api"
)

// maxBody bounds the size of a response body read into memory.
const maxBody = 64 << 20

// Client talks to one Zun API endpoint. It is safe for concurrent use.
type Client struct {
	http      *http.Client
	auth      authenticator
	log       *slog.Logger
	header    string // OpenStack-API-Version value
	version   api.Version
	userAgent string
}

// New validates cfg, builds the HTTP client and, for Keystone auth,
// authenticates once so that bad credentials or a missing catalog entry
// are reported here.
func New(ctx context.Context, cfg Config) (*Client, error) {
	hdr, ver, err := cfg.apiVersion()
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		if hc, err = newHTTPClient(cfg); err != nil {
			return nil, err
		}
	}
	c := &Client{
		http:      hc,
		log:       cfg.Logger,
		header:    api.ServiceType + " " + hdr,
		version:   ver,
		userAgent: first(cfg.UserAgent, "zun-go-client"),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	method, err := cfg.authType()
	if err != nil {
		return nil, err
	}
	switch {
	case method == AuthNone || (method == AuthToken && cfg.AuthURL == ""):
		if cfg.Endpoint == "" {
			return nil, errors.New("an endpoint is required without keystone: set OS_ENDPOINT or --os-endpoint")
		}
		tok := ""
		if method == AuthToken {
			tok = cfg.Token
		}
		c.auth = &staticAuth{token: tok, endpoint: cfg.Endpoint}
	default:
		if cfg.AuthURL == "" {
			return nil, errors.New("an auth URL is required: set OS_AUTH_URL, --os-auth-url or clouds.yaml auth.auth_url")
		}
		ka, err := newKeystoneAuth(cfg, method, hc)
		if err != nil {
			return nil, err
		}
		if _, _, err := ka.Session(ctx); err != nil {
			return nil, err
		}
		c.auth = ka
	}
	return c, nil
}

func newHTTPClient(cfg Config) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if cfg.CACert != "" || cfg.Insecure {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CACert != "" {
			pem, err := os.ReadFile(cfg.CACert)
			if err != nil {
				return nil, fmt.Errorf("failed to read CA bundle: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("no certificate found in %s", cfg.CACert)
			}
			tc.RootCAs = pool
		}
		tc.InsecureSkipVerify = cfg.Insecure //nolint:gosec // explicit user choice (OS_INSECURE)
		tr.TLSClientConfig = tc
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// APIVersion is the microversion the client assumes when shaping requests
// (the maximum it knows when configured with "latest").
func (c *Client) APIVersion() api.Version { return c.version }

// Endpoint returns the container endpoint in use.
func (c *Client) Endpoint(ctx context.Context) (string, error) {
	_, ep, err := c.auth.Session(ctx)
	return ep, err
}

// baseURL is the endpoint without its trailing /v1: request paths start
// with /v1 like python-zunclient's.
func baseURL(endpoint string) string {
	e := strings.TrimRight(endpoint, "/")
	return strings.TrimSuffix(e, "/v1")
}

// request describes one API call.
type request struct {
	method string
	path   string // starts with /v1, or "/" for version discovery
	query  url.Values
	body   any // JSON-encoded when non-nil
	out    any // JSON-decoded on success when non-nil
	// idempotencyKey, when set, is sent as Idempotency-Key and makes the
	// request safe to send again after a transport error.
	idempotencyKey string
}

// transportRetries are the pauses before sending a request with an
// idempotency key again after a transport error (connection refused or
// reset, the API restarting).
var transportRetries = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}

// do runs r, re-authenticating once on 401.
func (c *Client) do(ctx context.Context, r request) error {
	var payload []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("failed to encode request body: %w", err)
		}
		payload = b
	}
	retries := 0
	for attempt := 0; ; attempt++ {
		tok, endpoint, err := c.auth.Session(ctx)
		if err != nil {
			return err
		}
		resp, body, err := c.send(ctx, r, endpoint, payload, tok)
		if err != nil {
			if r.idempotencyKey == "" || ctx.Err() != nil || retries >= len(transportRetries) {
				return err
			}
			c.log.Debug("sending again with the same idempotency key", "err", err)
			select {
			case <-time.After(transportRetries[retries]):
			case <-ctx.Done():
				return err
			}
			retries++
			continue
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 && c.auth.Invalidate(tok) {
			c.log.Debug("token rejected, re-authenticating")
			continue
		}
		if resp.StatusCode/100 != 2 {
			return decodeError(resp, body)
		}
		if r.out == nil || len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, r.out); err != nil {
			return fmt.Errorf("failed to decode response of %s %s: %w", r.method, r.path, err)
		}
		return nil
	}
}

func (c *Client) send(ctx context.Context, r request, endpoint string, payload []byte, tok string) (*http.Response, []byte, error) {
	u := baseURL(endpoint) + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set(api.VersionHeader, c.header)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.idempotencyKey != "" {
		req.Header.Set(api.IdempotencyKeyHeader, r.idempotencyKey)
	}
	if tok != "" {
		req.Header.Set("X-Auth-Token", tok)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to call %s %s: %w", r.method, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read response of %s %s: %w", r.method, u, err)
	}
	c.log.DebugContext(ctx, "request", "method", r.method, "url", u, "status", resp.StatusCode,
		"duration", time.Since(start), "request_id", requestID(resp))
	return resp, body, nil
}

func requestID(resp *http.Response) string {
	return first(resp.Header.Get("X-Openstack-Request-Id"), resp.Header.Get("X-Compute-Request-Id"))
}

// decodeError turns a failed response into *api.Error: Zun's envelope
// when present, Keystone's {"error":{...}} or the raw body otherwise.
func decodeError(resp *http.Response, body []byte) error {
	var env api.ErrorEnvelope
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		e := env.Errors[0]
		if e.Status == 0 {
			e.Status = resp.StatusCode
		}
		if e.RequestID == "" {
			e.RequestID = requestID(resp)
		}
		return &e
	}
	e := &api.Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode), RequestID: requestID(resp)}
	var ks struct {
		Error struct {
			Message string `json:"message"`
			Title   string `json:"title"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &ks) == nil && ks.Error.Message != "" {
		e.Detail = ks.Error.Message
		if ks.Error.Title != "" {
			e.Title = ks.Error.Title
		}
		return e
	}
	if t := strings.TrimSpace(string(body)); t != "" && len(t) <= 1024 {
		e.Detail = t
	}
	return e
}

// StatusCode returns the HTTP status of an *api.Error in err's chain, or 0.
func StatusCode(err error) int {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
