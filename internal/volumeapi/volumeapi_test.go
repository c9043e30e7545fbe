package volumeapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store/sqlstore"
	"github.com/openzun/zun/internal/zunctx"
)

// tokens maps a token to its caller.
type tokens map[string]zunctx.Identity

func (t tokens) Validate(_ context.Context, tok string) (zunctx.Identity, time.Time, error) {
	id, ok := t[tok]
	if !ok {
		return zunctx.Identity{}, time.Time{}, errors.New("bad token")
	}
	return id, time.Now().Add(time.Hour), nil
}

// casts records the casts to compute hosts.
type casts struct {
	mu   sync.Mutex
	reqs []rpc.ContainerRequest
}

func (c *casts) Cast(_ context.Context, method string, req rpc.ContainerRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if method != rpc.MethodVolumeDelete {
		return errors.New("unexpected method " + method)
	}
	c.reqs = append(c.reqs, req)
	return nil
}

type env struct {
	t     *testing.T
	url   string
	st    *sqlstore.Store
	casts *casts
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "zun.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	toks := tokens{
		"alice": {UserID: "ua", ProjectID: "pa", Roles: []string{"member"}},
		"bob":   {UserID: "ub", ProjectID: "pb", Roles: []string{"member"}},
		"admin": {UserID: "uadm", ProjectID: "padm", Roles: []string{"admin"}},
	}
	c := &casts{}
	srv := httptest.NewServer(New(Config{PublicURL: "http://zun"}, st.Volumes(), c, toks, nil, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, st: st, casts: c}
}

func (e *env) do(token, method, path, body string, want int) map[string]any {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return out
}

func TestVolumeLifecycle(t *testing.T) {
	e := newEnv(t)
	const a = "/volume/v3/pa"
	// cinderclient's body, nulls included.
	out := e.do("alice", "POST", a+"/volumes", `{"volume":{"size":1,"name":"db","description":null,"volume_type":null,
		"availability_zone":null,"metadata":{},"imageRef":null,"snapshot_id":null,"source_volid":null,
		"consistencygroup_id":null,"backup_id":null}}`, 202)
	v := out["volume"].(map[string]any)
	id := v["id"].(string)
	if v["status"] != "available" || v["size"] != float64(1) || v["name"] != "db" {
		t.Fatalf("created %v", v)
	}
	if _, ok := v["os-vol-tenant-attr:tenant_id"]; ok {
		t.Fatal("tenant attribute shown to a member")
	}
	for _, p := range []string{a + "/volumes/" + id, a + "/volumes/db"} {
		if got := e.do("alice", "GET", p, "", 200)["volume"].(map[string]any)["id"]; got != id {
			t.Fatalf("show %s = %v", p, got)
		}
	}
	if l := e.do("alice", "GET", a+"/volumes/detail?name=db", "", 200)["volumes"].([]any); len(l) != 1 {
		t.Fatalf("detail %v", l)
	}
	if l := e.do("alice", "GET", a+"/volumes?name=other", "", 200)["volumes"].([]any); len(l) != 0 {
		t.Fatalf("filtered list %v", l)
	}

	// Bob: 404 through his URL and through alice's.
	e.do("bob", "GET", "/volume/v3/pb/volumes/"+id, "", 404)
	e.do("bob", "DELETE", "/volume/v3/pb/volumes/"+id, "", 404)
	nf := e.do("bob", "GET", a+"/volumes/"+id, "", 404)
	if _, ok := nf["itemNotFound"]; !ok {
		t.Fatalf("not Cinder's error format: %v", nf)
	}
	if l := e.do("bob", "GET", "/volume/v3/pb/volumes/detail", "", 200)["volumes"].([]any); len(l) != 0 {
		t.Fatalf("bob lists %v", l)
	}
	e.do("bob", "GET", "/volume/v3/pb/volumes/detail?all_tenants=1", "", 403)
	e.do("", "GET", a+"/volumes/detail", "", 401)

	// In use: the delete is refused with the reason.
	ctx := zunctx.System(context.Background())
	if _, err := e.st.Volumes().Update(ctx, id, func(x *model.Volume) error {
		x.Status, x.AttachedTo, x.Host = model.VolumeInUse, "0c3bd7a7-5a3c-4b70-9c07-2bd5cb1e3f4a", "host-1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bad := e.do("alice", "DELETE", a+"/volumes/"+id, "", 400)["badRequest"].(map[string]any)
	if !strings.Contains(bad["message"].(string), "in-use by container 0c3bd7a7") {
		t.Fatalf("in-use delete: %v", bad)
	}
	if att := e.do("alice", "GET", a+"/attachments", "", 200)["attachments"].([]any); len(att) != 1 {
		t.Fatalf("attachments %v", att)
	}
	// Released: the delete goes to the volume's host.
	if _, err := e.st.Volumes().Update(ctx, id, func(x *model.Volume) error {
		x.Status, x.AttachedTo = model.VolumeAvailable, ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.do("alice", "DELETE", a+"/volumes/"+id, "", 202)
	if got := e.do("alice", "GET", a+"/volumes/"+id, "", 200)["volume"].(map[string]any)["status"]; got != "deleting" {
		t.Fatalf("status after delete: %v", got)
	}
	if len(e.casts.reqs) != 1 || e.casts.reqs[0].VolumeID != id || e.casts.reqs[0].Container.Host != "host-1" {
		t.Fatalf("casts %+v", e.casts.reqs)
	}
	e.do("alice", "DELETE", a+"/volumes/"+id, "", 400)

	// An unplaced volume goes at once.
	id2 := e.do("alice", "POST", a+"/volumes", `{"volume":{"size":"2"}}`, 202)["volume"].(map[string]any)["id"].(string)
	e.do("alice", "DELETE", a+"/volumes/"+id2, "", 202)
	e.do("alice", "GET", a+"/volumes/"+id2, "", 404)
}

func TestVolumeCreateInput(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]string{
		"not json":        `{`,
		"no volume":       `{"size":1}`,
		"no size":         `{"volume":{"name":"x"}}`,
		"size zero":       `{"volume":{"size":0}}`,
		"size huge":       `{"volume":{"size":5000}}`,
		"size float":      `{"volume":{"size":1.5}}`,
		"size word":       `{"volume":{"size":"big"}}`,
		"unknown key":     `{"volume":{"size":1,"color":"red"}}`,
		"unknown top":     `{"volume":{"size":1},"x":1}`,
		"snapshot":        `{"volume":{"size":1,"snapshot_id":"abc"}}`,
		"image":           `{"volume":{"size":1,"imageRef":"abc"}}`,
		"metadata":        `{"volume":{"size":1,"metadata":{"a":"b"}}}`,
		"multiattach":     `{"volume":{"size":1,"multiattach":true}}`,
		"zone":            `{"volume":{"size":1,"availability_zone":"mars"}}`,
		"long name":       `{"volume":{"size":1,"name":"` + strings.Repeat("n", 300) + `"}}`,
		"name not string": `{"volume":{"size":1,"name":5}}`,
	} {
		t.Run(name, func(t *testing.T) {
			out := e.do("alice", "POST", "/volume/v3/pa/volumes", body, 400)
			if _, ok := out["badRequest"]; !ok {
				t.Fatalf("error body %v", out)
			}
		})
	}
	e.do("alice", "POST", "/volume/v3/pa/volumes", `{"volume":{"size":1}}`+strings.Repeat(" ", maxBody), 413)
	if l := e.do("alice", "GET", "/volume/v3/pa/volumes", "", 200)["volumes"].([]any); len(l) != 0 {
		t.Fatalf("refused creates left %v", l)
	}
}
