package glance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/store/sqlstore"
	"github.com/openzun/zun/internal/zunctx"
)

// tokens maps a token to an identity.
type tokens map[string]zunctx.Identity

func (t tokens) Validate(_ context.Context, tok string) (zunctx.Identity, time.Time, error) {
	id, ok := t[tok]
	if !ok {
		return zunctx.Identity{}, time.Time{}, errors.New("bad token")
	}
	return id, time.Now().Add(time.Hour), nil
}

func newService(t *testing.T, max int64) (*Service, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(context.Background(), filepath.Join(dir, "zun.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	auth := tokens{
		"alice": {UserID: "alice", ProjectID: "pa", Roles: []string{"member"}},
		"bob":   {UserID: "bob", ProjectID: "pb", Roles: []string{"member"}},
		"admin": {UserID: "admin", ProjectID: "adm", Roles: []string{"admin"}},
	}
	var srv *httptest.Server
	s, err := New(Config{Dir: filepath.Join(dir, "images"), MaxImageSize: max}, st.GlanceImages(), auth, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	s.cfg.PublicURL = srv.URL
	return s, srv
}

func do(t *testing.T, srv *httptest.Server, tok, method, path string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if tok != "" {
		req.Header.Set("X-Auth-Token", tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestBadRequests(t *testing.T) {
	_, srv := newService(t, 1024)
	for _, tc := range []struct {
		name, tok, method, path, body string
		want                          int
	}{
		{"no token", "", "GET", "/v2/images", "", 401},
		{"bad token", "mallory", "GET", "/v2/images", "", 401},
		{"not json", "alice", "POST", "/v2/images", "{", 400},
		{"bad container format", "alice", "POST", "/v2/images", `{"name":"x","container_format":"tarball"}`, 400},
		{"bad disk format", "alice", "POST", "/v2/images", `{"disk_format":"exe"}`, 400},
		{"read-only field", "alice", "POST", "/v2/images", `{"status":"active"}`, 403},
		{"owner is read-only", "alice", "POST", "/v2/images", `{"owner":"pb"}`, 403},
		{"member cannot publicize", "alice", "POST", "/v2/images", `{"visibility":"public"}`, 403},
		{"bad visibility", "alice", "POST", "/v2/images", `{"visibility":"everyone"}`, 400},
		{"wrong type", "alice", "POST", "/v2/images", `{"name":5}`, 400},
		{"negative min_disk", "alice", "POST", "/v2/images", `{"min_disk":-1}`, 400},
		{"bad id", "alice", "POST", "/v2/images", `{"id":"short"}`, 400},
		{"unknown list filter", "alice", "GET", "/v2/images?evil=1", "", 400},
		{"missing image", "alice", "GET", "/v2/images/0b0b0b0b-0000-0000-0000-000000000000", "", 404},
		{"unsigned download", "", "GET", "/zun-download/x?expires=99999999999&sig=00", "", 403},
		{"unknown path", "alice", "GET", "/v3/images", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, m := do(t, srv, tc.tok, tc.method, tc.path, []byte(tc.body)); st != tc.want {
				t.Fatalf("status %d, want %d: %v", st, tc.want, m)
			}
		})
	}
}

func TestUploadLifecycle(t *testing.T) {
	s, srv := newService(t, 1024)
	st, m := do(t, srv, "alice", "POST", "/v2/images", []byte(`{"name":"img","container_format":"docker","disk_format":"raw","k":"v"}`))
	if st != 201 || m["status"] != "queued" || m["k"] != "v" || m["visibility"] != "shared" {
		t.Fatalf("create: %d %v", st, m)
	}
	id := m["id"].(string)
	// Another project does not see a private/shared image.
	if st, _ := do(t, srv, "bob", "GET", "/v2/images/"+id, nil); st != 404 {
		t.Fatalf("bob sees alice's image: %d", st)
	}
	if st, _ := do(t, srv, "bob", "DELETE", "/v2/images/"+id, nil); st != 404 {
		t.Fatalf("bob deletes alice's image: %d", st)
	}
	// Too large: killed, nothing stored.
	if st, _ := do(t, srv, "alice", "PUT", "/v2/images/"+id+"/file", bytes.Repeat([]byte("x"), 2048)); st != 413 {
		t.Fatalf("oversized upload: %d", st)
	}
	if _, m := do(t, srv, "alice", "GET", "/v2/images/"+id, nil); m["status"] != "killed" {
		t.Fatalf("after oversized upload: %v", m["status"])
	}
	if _, err := os.Stat(s.blobPath(id)); !os.IsNotExist(err) {
		t.Fatal("data of a refused upload left on disk")
	}
	// A second image uploads fine; a second upload is refused.
	_, m = do(t, srv, "alice", "POST", "/v2/images", []byte(`{"name":"ok"}`))
	id = m["id"].(string)
	if st, _ := do(t, srv, "alice", "PUT", "/v2/images/"+id+"/file", []byte("hello")); st != 204 {
		t.Fatalf("upload: %d", st)
	}
	if st, _ := do(t, srv, "alice", "PUT", "/v2/images/"+id+"/file", []byte("again")); st != 409 {
		t.Fatalf("second upload: %d", st)
	}
	_, m = do(t, srv, "alice", "GET", "/v2/images/"+id, nil)
	if m["status"] != "active" || m["checksum"] != "5d41402abc4b2a76b9719d911017c592" || m["size"] != float64(5) ||
		m["os_hash_value"] != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("active image: %v", m)
	}
	// Signed download: valid, then tampered.
	url := strings.TrimPrefix(s.DownloadURL(id), srv.URL)
	if st, _ := do(t, srv, "", "GET", url, nil); st != 200 {
		t.Fatalf("signed download: %d", st)
	}
	if st, _ := do(t, srv, "", "GET", strings.Replace(url, "zun-download/"+id, "zun-download/"+id[:35]+"x", 1), nil); st != 403 {
		t.Fatalf("signature of another image accepted: %d", st)
	}
	if st, _ := do(t, srv, "", "PUT", strings.Replace(url, "zun-download", "zun-upload", 1), []byte("x")); st != 403 {
		t.Fatalf("download signature used for an upload: %d", st)
	}
	// Lookup by name as the owner and as another project.
	if _, err := s.Lookup(zunctx.System(context.Background()), "pa", "ok"); err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if _, err := s.Lookup(zunctx.System(context.Background()), "pb", "ok"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("lookup from another project through a system context: %v", err)
	}
	// Protected images are not deleted; data goes with the record.
	if st, _ := do(t, srv, "alice", "PATCH", "/v2/images/"+id, []byte(`[{"op":"replace","path":"/protected","value":true}]`)); st != 200 {
		t.Fatalf("protect: %d", st)
	}
	if st, _ := do(t, srv, "alice", "DELETE", "/v2/images/"+id, nil); st != 403 {
		t.Fatalf("delete protected: %d", st)
	}
	do(t, srv, "alice", "PATCH", "/v2/images/"+id, []byte(`[{"op":"replace","path":"/protected","value":false}]`))
	if st, _ := do(t, srv, "alice", "DELETE", "/v2/images/"+id, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if _, err := os.Stat(s.blobPath(id)); !os.IsNotExist(err) {
		t.Fatal("data left after delete")
	}
}
