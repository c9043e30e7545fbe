package wsproxy

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
)

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://Host:80":          "http://host",
		"https://h.example:443/":  "https://h.example",
		"http://127.0.0.1:6784":   "http://127.0.0.1:6784",
		"http://[::1]:6784":       "http://[::1]:6784",
		"null":                    "",
		"":                        "",
		"ftp://h":                 "",
		"http://h/path":           "",
		"http://user@h":           "",
		"http://evil.example?x=1": "",
	} {
		got, ok := normalizeOrigin(in)
		if (want == "") == ok || got != want {
			t.Errorf("normalizeOrigin(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestCompleteUTF8(t *testing.T) {
	s := "héllo€"
	b := []byte(s)
	if n := completeUTF8(b); n != len(b) {
		t.Fatalf("whole string held back: %d", n)
	}
	cut := b[:len(b)-1] // "€" is 3 bytes: 2 of them left
	if n := completeUTF8(cut); n != len(b)-3 {
		t.Fatalf("partial rune: %d, want %d", n, len(b)-3)
	}
	if n := completeUTF8([]byte{0xff, 0xfe}); n != 2 {
		t.Fatalf("invalid bytes held back: %d", n)
	}
}

type notFoundLocator struct{ called *int }

func (l notFoundLocator) Endpoint(context.Context, string) (string, error) {
	*l.called++
	return "", errdefs.ErrNotFound
}

// TestRefusals: every refusal is the bare status text, and the query (the
// token) never reaches the log.
func TestRefusals(t *testing.T) {
	var logs strings.Builder
	calls := 0
	p, err := New(Config{BaseURL: "ws://proxy.example:6784/", AllowedOrigins: []string{"https://dash.example"},
		Secret: []byte("0123456789abcdef0123")}, notFoundLocator{&calls}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	tok := strings.Repeat("A", 43)
	good := "/?token=" + tok + "&uuid=0123abcd-0000-4000-8000-000000000000"
	for _, tc := range []struct {
		path, origin string
		want         int
	}{
		{good, "http://evil.example", 403},
		{good, "", 403},
		{good, "http://proxy.example:6784", 403}, // allowed origin, unknown container
		{good, "https://dash.example", 403},      // configured origin, unknown container
		{"/?token=short&uuid=x", "http://proxy.example:6784", 403},
		{good + "&extra=1", "http://proxy.example:6784", 403},
		{"/other" + good[1:], "http://proxy.example:6784", 404},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || strings.TrimSpace(string(body)) != http.StatusText(tc.want) {
			t.Errorf("%s origin %q: %d %q, want %d", tc.path, tc.origin, resp.StatusCode, body, tc.want)
		}
	}
	if calls != 2 {
		t.Errorf("locator called %d times; only allowed origins with well-formed parameters reach it", calls)
	}
	if strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), "token") {
		t.Errorf("the log carries the token:\n%s", logs.String())
	}
	// Requests with random Host headers never widen the allowlist.
	for _, h := range []string{"evil.example", "a.b", "proxy.example:1"} {
		req, _ := http.NewRequest("GET", srv.URL+good, nil)
		req.Host = h
		req.Header.Set("Origin", "http://"+h)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("origin matching Host %s: %d", h, resp.StatusCode)
		}
	}
	if len(p.origins) != 2 {
		t.Errorf("allowlist changed: %v", p.origins)
	}
}
