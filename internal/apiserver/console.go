package apiserver

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/zunctx"
)

// newSessionToken returns a token of 256 random bits and the hex SHA-256
// that is all the agent keeps of it.
func newSessionToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("failed to draw a session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(token))
	return token, hex.EncodeToString(sum[:]), nil
}

// grantSession hands the container's agent a single-use grant and returns
// the websocket URL carrying the token (and the exec id, for an exec).
func (s *Server) grantSession(q *request, c *model.Container, cmd []string, interactive bool) (wsURL, execID string, err error) {
	if s.cfg.WSProxyURL == "" {
		return "", "", errdefs.New(errdefs.ErrNotImplemented, "Interactive sessions need the websocket proxy (zun-wsproxy), which this deployment does not run.")
	}
	token, hash, err := newSessionToken()
	if err != nil {
		return "", "", err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.Console = &rpc.ConsoleRequest{TokenHash: hash, UserID: q.id.UserID, Expires: s.now().Add(s.cfg.ConsoleTokenTTL),
		Command: cmd, Interactive: interactive}
	var reply rpc.ConsoleGrantReply
	if err := s.call(q, c, rpc.MethodConsoleGrant, req, &reply); err != nil {
		return "", "", err
	}
	v := url.Values{"token": {token}, "uuid": {c.UUID}}
	if reply.ExecID != "" {
		v.Set("exec_id", reply.ExecID)
	}
	return s.cfg.WSProxyURL + "?" + v.Encode(), reply.ExecID, nil
}

// containerAttach answers the websocket URL of an attach session as a JSON
// string, as Zun does.
func (s *Server) containerAttach(q *request) (int, any, error) {
	if err := q.checkQuery("all_projects"); err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:attach", "attach")
	if err != nil {
		return 0, nil, err
	}
	if !c.Interactive {
		return 0, nil, badRequest("Cannot attach to container %s: it was not created interactive.", c.UUID)
	}
	s.recordAction(q, c, "container_attach")
	u, _, err := s.grantSession(q, c, nil, false)
	s.finishAction(q, c, err)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, u, nil
}

func (s *Server) finishAction(q *request, c *model.Container, err error) {
	_ = s.store.Actions().Finish(zunctx.System(q.ctx), c.UUID, zunctx.RequestID(q.ctx), s.now().UTC(), errText(err))
}

// executeSession is execute with run=false: the exec is created, and
// started by the proxy when the client connects.
func (s *Server) executeSession(q *request, c *model.Container, cmd []string, interactive bool) (int, any, error) {
	s.recordAction(q, c, "exec_cmd")
	u, execID, err := s.grantSession(q, c, cmd, interactive)
	s.finishAction(q, c, err)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, api.ExecResult{ExecID: &execID, ProxyURL: &u}, nil
}

// termSize reads h and w (1..65535).
func (q *request) termSize() (uint, uint, error) {
	var hw [2]uint
	for i, name := range []string{"h", "w"} {
		v := q.query.Get(name)
		n, err := strconv.ParseUint(v, 10, 16)
		if v == "" || err != nil || n == 0 {
			return 0, 0, invalid(name, "Value: %q. Expected an integer between 1 and 65535.", truncate([]byte(v)))
		}
		hw[i] = uint(n)
	}
	return hw[0], hw[1], nil
}

// containerTTYResize is POST .../resize (the attach terminal).
func (s *Server) containerTTYResize(q *request) (int, any, error) {
	if err := q.checkQuery("h", "w", "all_projects"); err != nil {
		return 0, nil, err
	}
	h, w, err := q.termSize()
	if err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:resize", "resize")
	if err != nil {
		return 0, nil, err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.Console = &rpc.ConsoleRequest{Height: h, Width: w}
	if err := s.call(q, c, rpc.MethodResize, req, nil); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nil, nil
}

func isExecID(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// containerExecResize is POST .../execute_resize.
func (s *Server) containerExecResize(q *request) (int, any, error) {
	if err := q.checkQuery("exec_id", "h", "w", "all_projects"); err != nil {
		return 0, nil, err
	}
	execID := q.query.Get("exec_id")
	if !isExecID(execID) {
		return 0, nil, invalid("exec_id", "Value: %q. Expected 64 hexadecimal digits.", truncate([]byte(execID)))
	}
	h, w, err := q.termSize()
	if err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:execute_resize", "execute_resize")
	if err != nil {
		return 0, nil, err
	}
	req := rpc.Request(c, zunctx.RequestID(q.ctx))
	req.Console = &rpc.ConsoleRequest{ExecID: execID, Height: h, Width: w}
	if err := s.call(q, c, rpc.MethodExecResize, req, nil); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nil, nil
}

// archivePath checks a container path of get/put_archive.
func archivePath(q *request) (string, error) {
	p := q.query.Get("path")
	if p == "" {
		return "", badRequest("'path' is a required property")
	}
	if len(p) > 4096 || strings.ContainsRune(p, 0) {
		return "", invalid("path", "Value is not a valid path.")
	}
	if !path.IsAbs(p) {
		p = "/" + p
	}
	return p, nil
}

// archiveStat is get_archive's stat, in Zun's shape.
type archiveStat struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	Mode       uint32 `json:"mode"`
	Mtime      string `json:"mtime"`
	LinkTarget string `json:"linkTarget"`
}

func (s *Server) containerGetArchive(q *request) (int, any, error) {
	if err := q.checkQuery("path", "all_projects"); err != nil {
		return 0, nil, err
	}
	p, err := archivePath(q)
	if err != nil {
		return 0, nil, err
	}
	c, err := s.loadInState(q, "container:get_archive", "get_archive")
	if err != nil {
		return 0, nil, err
	}
	if wantsTarStream(q.r) {
		return s.getArchiveStream(q, c, p)
	}
	var reply rpc.ArchiveReply
	if len(s.cfg.ConsoleSecret) > 0 {
		// Over the console link the JSON form reaches its own limit
		// instead of the bus message's.
		if reply.Data, reply.Stat, err = s.getArchiveBytes(q, c, p, s.cfg.MaxJSONCopyBytes); err != nil {
			return 0, nil, err
		}
	} else {
		req := rpc.Request(c, zunctx.RequestID(q.ctx))
		req.Archive = &rpc.ArchiveRequest{Path: p}
		if err := s.call(q, c, rpc.MethodGetArchive, req, &reply); err != nil {
			return 0, nil, err
		}
	}
	st := archiveStat{Name: reply.Stat.Name, Size: reply.Stat.Size, Mode: reply.Stat.Mode, LinkTarget: reply.Stat.LinkTarget}
	if !reply.Stat.Mtime.IsZero() {
		st.Mtime = reply.Stat.Mtime.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
	}
	var data any = string(reply.Data) // before 1.25 the tar went as a string
	if q.version.AtLeast(25) {
		data = base64.StdEncoding.EncodeToString(reply.Data)
	}
	return http.StatusOK, map[string]any{"data": data, "stat": st}, nil
}

func (s *Server) containerPutArchive(q *request) (int, any, error) {
	if err := q.checkQuery("path", "all_projects"); err != nil {
		return 0, nil, err
	}
	p, err := archivePath(q)
	if err != nil {
		return 0, nil, err
	}
	if sendsTarStream(q.r) {
		c, err := s.loadInState(q, "container:put_archive", "put_archive")
		if err != nil {
			return 0, nil, err
		}
		return s.putArchiveStream(q, c, p)
	}
	limit := s.cfg.MaxBodyBytes
	if len(s.cfg.ConsoleSecret) > 0 {
		// base64 of the JSON form's largest archive, and the JSON around it
		limit = max(limit, s.cfg.MaxJSONCopyBytes/3*4+64<<10)
	}
	body, err := q.decodeBody(limit)
	if err != nil {
		return 0, nil, err
	}
	for k := range body {
		if k != "data" {
			return 0, nil, badRequest("Additional properties are not allowed ('%s' was unexpected)", truncate([]byte(k)))
		}
	}
	var str string
	if err := json.Unmarshal(body["data"], &str); err != nil || str == "" {
		return 0, nil, invalid("data", "Expected a non-empty string.")
	}
	data := []byte(str)
	if q.version.AtLeast(25) {
		if data, err = base64.StdEncoding.DecodeString(str); err != nil {
			return 0, nil, invalid("data", "Value is not valid Base64.")
		}
	}
	c, err := s.loadInState(q, "container:put_archive", "put_archive")
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) > s.cfg.MaxJSONCopyBytes {
		return 0, nil, errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("The archive is larger than %d bytes; use a streamed copy (zun cp).", s.cfg.MaxJSONCopyBytes))
	}
	s.recordAction(q, c, "put_archive")
	if len(s.cfg.ConsoleSecret) > 0 {
		err = s.sendArchive(q, c, p, bytes.NewReader(data), s.cfg.MaxJSONCopyBytes)
	} else {
		req := rpc.Request(c, zunctx.RequestID(q.ctx))
		req.Archive = &rpc.ArchiveRequest{Path: p, Data: data}
		err = s.call(q, c, rpc.MethodPutArchive, req, nil)
	}
	s.finishAction(q, c, err)
	if errors.Is(err, errdefs.ErrNotFound) {
		return 0, nil, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("Could not find the directory %s in container %s.", p, c.UUID))
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nil, nil
}
