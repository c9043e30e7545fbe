package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// api.IdempotencyKeyHeader makes a create safe to retry (hardening F.27):
// the key is stored with the record in the insert, so a client whose
// request was accepted but never answered (the API died, the connection
// broke) gets the container it already made instead of a second one. A
// key is unique per project while its container exists.

// idempotencyKey returns the request's key ("" without one) and the hash
// of what it asks: the microversion, the query and the body, canonical
// (keys sorted, no whitespace), so the same request sent again hashes the
// same.
func idempotencyKey(q *request, body map[string]json.RawMessage) (key, hash string, err error) {
	key = q.r.Header.Get(api.IdempotencyKeyHeader)
	if key == "" {
		return "", "", nil
	}
	if len(key) > 255 {
		return "", "", badRequest("The Idempotency-Key header is longer than 255 characters.")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return "", "", badRequest("The Idempotency-Key header must be printable ASCII without spaces.")
		}
	}
	b, err := json.Marshal(body) // map keys sorted
	if err != nil {
		return "", "", err
	}
	var compact []byte
	if compact, err = compactJSON(b); err != nil {
		return "", "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", strconv.Itoa(q.version.Minor), q.r.URL.RawQuery)
	h.Write(compact)
	return key, hex.EncodeToString(h.Sum(nil)), nil
}

func compactJSON(b []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v) // nested maps sorted, whitespace gone
}

// replayCreate answers a create whose key already made prev: the same
// answer as the first time, or 409 when the key came with another request.
func (s *Server) replayCreate(q *request, prev *model.Container, hash string) (int, any, error) {
	if prev.RequestHash != hash {
		return 0, nil, errdefs.New(errdefs.ErrConflict,
			fmt.Sprintf("Idempotency-Key %s was already used for a different request.", prev.IdempotencyKey))
	}
	q.w.Header().Set("Location", s.base(q)+"/v1/containers/"+prev.UUID)
	return http.StatusAccepted, s.containerView(q, prev, s.fieldAccess(q.ctx, containerTarget(prev))), nil
}

// existingCreate finds the container an earlier request with key made.
func (s *Server) existingCreate(q *request, key string) (*model.Container, error) {
	c, err := s.store.Containers().GetByIdempotencyKey(q.ctx, key)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	return c, err
}
