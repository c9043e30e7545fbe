package apiserver

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

// route is one entry of the route table.
type route struct {
	method, path string
	// policy is the rule checked for the route; per-object routes check it
	// against the object's project inside the handler (see loadContainer).
	policy string
	// public routes need no token (version discovery).
	public bool
	// minVer and maxVer bound the microversions serving the route (0: any).
	minVer, maxVer int
	// versioned routes negotiate microversions and send the headers.
	unversioned bool
	handler     handlerFunc
}

// newRequestID draws "req-" and a UUID-shaped random value, built in
// one buffer: it runs on every request.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	var out [40]byte
	copy(out[:], "req-")
	i := 4
	for j, part := range [][]byte{b[:4], b[4:6], b[6:8], b[8:10], b[10:]} {
		if j > 0 {
			out[i] = '-'
			i++
		}
		i += hex.Encode(out[i:], part)
	}
	return string(out[:i])
}

// Header values that never change, shared by every response: assigning
// them to the header map directly saves the allocations of Header.Set,
// which matter on the hottest paths (GET of a container). Nothing
// modifies a response header's slice in place.
var (
	hdrMinVersion  = []string{api.ServiceType + " " + api.MinVersion.String()}
	hdrMaxVersion  = []string{api.ServiceType + " " + api.MaxVersion.String()}
	hdrVary        = []string{api.VersionHeader}
	hdrContentJSON = []string{"application/json"}
	// hdrVersion holds the OpenStack-API-Version value of every supported
	// minor version.
	hdrVersion = func() [][]string {
		out := make([][]string, api.MaxVersion.Minor+1)
		for m := api.MinVersion.Minor; m <= api.MaxVersion.Minor; m++ {
			out[m] = []string{api.ServiceType + " " + api.Version{Major: 1, Minor: m}.String()}
		}
		return out
	}()
)

// wrap turns a route into an http.Handler: request id, authentication,
// microversion negotiation, policy of the route, JSON encoding and the
// error envelope, access log.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := newRequestID()
		w.Header().Set("X-Openstack-Request-Id", rid)
		ctx := zunctx.WithRequestID(r.Context(), rid)
		q := &request{ctx: ctx, r: r, w: w, query: pythonNone(r.URL.Query()), version: api.MinVersion}
		status, err := s.serve(rt, q, w)
		if err != nil {
			status = s.writeError(w, q, err)
		}
		lvl := slog.LevelInfo
		if status >= 500 {
			lvl = slog.LevelError
		}
		s.log.Log(ctx, lvl, "request", "request_id", rid, "method", r.Method, "path", r.URL.Path,
			"status", status, "project", q.id.ProjectID, "user", q.id.UserID, "duration", time.Since(start))
	})
}

func (s *Server) serve(rt route, q *request, w http.ResponseWriter) (int, error) {
	if !rt.unversioned {
		h := w.Header()
		h[http.CanonicalHeaderKey(api.MinVersionHeader)] = hdrMinVersion
		h[http.CanonicalHeaderKey(api.MaxVersionHeader)] = hdrMaxVersion
		h["Vary"] = hdrVary
		v, err := api.ParseVersionHeader(q.r.Header.Get(api.VersionHeader))
		if err != nil {
			return 0, versionError(err)
		}
		q.version = v
		if v.Major == 1 && v.Minor >= 0 && v.Minor < len(hdrVersion) && hdrVersion[v.Minor] != nil {
			h[http.CanonicalHeaderKey(api.VersionHeader)] = hdrVersion[v.Minor]
		} else {
			h.Set(api.VersionHeader, api.ServiceType+" "+v.String())
		}
	}
	if !rt.public {
		if err := s.authenticate(q); err != nil {
			return 0, err
		}
	}
	if (rt.minVer > 0 && q.version.Minor < rt.minVer) || (rt.maxVer > 0 && q.version.Minor > rt.maxVer) {
		return 0, errNotFoundPath
	}
	status, body, err := rt.handler(q)
	if err != nil {
		return 0, err
	}
	if _, ok := body.(streamed); ok {
		return status, nil
	}
	return status, writeJSON(w, status, body)
}

// pythonNone drops query parameters whose value is the literal "None":
// python-zunclient url-encodes unset optional parameters that way (for
// example kill without --signal sends signal=None), and Zun treats them as
// absent.
func pythonNone(v url.Values) url.Values {
	for k, vs := range v {
		if len(vs) == 1 && vs[0] == "None" {
			delete(v, k)
		}
	}
	return v
}

type versionErr struct{ error }

func versionError(err error) error {
	return versionErr{errdefs.New(errdefs.ErrNotAcceptable, "Version "+strings.TrimSpace(err.Error())+
		". Supported versions are "+api.MinVersion.String()+" to "+api.MaxVersion.String()+".")}
}

func (e versionErr) Unwrap() error { return e.error }

func (s *Server) authenticate(q *request) error {
	tok := q.r.Header.Get("X-Auth-Token")
	if tok == "" {
		return errdefs.New(errdefs.ErrUnauthorized, "The request you have made requires authentication.")
	}
	id, _, err := s.auth.Validate(q.ctx, tok)
	if errors.Is(err, errdefs.ErrUnavailable) {
		// An external Keystone that cannot answer: never "allowed", and
		// not the caller's fault either.
		s.log.Warn("token validation unavailable", "error", err)
		return errdefs.New(errdefs.ErrUnavailable, "The identity service is unavailable.")
	}
	if err != nil {
		return errdefs.New(errdefs.ErrUnauthorized, "The request you have made requires authentication.")
	}
	q.id = id
	q.ctx = zunctx.WithIdentity(q.ctx, id)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, body any) error {
	if status == http.StatusNoContent || body == nil {
		w.WriteHeader(status)
		return nil
	}
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		// A buffer grown by a huge answer is not kept: the pool would pin it.
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			jsonBuffers.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(body); err != nil {
		return err
	}
	w.Header()["Content-Type"] = hdrContentJSON
	w.WriteHeader(status)
	// The same bytes json.Marshal gives: without the encoder's newline.
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return nil
}

// jsonBuffers are the encode buffers of writeJSON.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeError maps err to Zun's envelope. Messages of server errors are
// hidden behind the request id; the cause is logged.
func (s *Server) writeError(w http.ResponseWriter, q *request, err error) int {
	status := errdefs.HTTPStatus(err)
	rid := zunctx.RequestID(q.ctx)
	e := api.Error{RequestID: rid, Status: status, Detail: err.Error(), Links: []any{},
		Code: api.ErrorCode(errdefs.Code(err))}
	var ve versionErr
	if errors.As(err, &ve) {
		e.Code = "zun.microversion-unsupported"
		e.MinVersion, e.MaxVersion = api.MinVersion.String(), api.MaxVersion.String()
	}
	if status >= 500 && status != http.StatusNotImplemented && status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "request_id", rid, "err", err)
		e.Detail = "Your request could not be handled because of a problem in the server. Error Correlation id is: " + rid
	}
	// Zun's title is the message's first sentence and python-zunclient and
	// the OpenStack client print only the title ("Forbidden (HTTP 403)"
	// tells a user nothing): the whole message, whose sentences may hold
	// addresses with dots, serves them better.
	e.Title = e.Detail
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.cfg.PublicURL+`/identity"`)
	}
	b, _ := json.Marshal(api.ErrorEnvelope{Errors: []api.Error{e}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}
