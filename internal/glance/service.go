package glance

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// TokenValidator checks a Keystone token.
type TokenValidator interface {
	Validate(ctx context.Context, token string) (zunctx.Identity, time.Time, error)
}

// Config configures the service.
type Config struct {
	// Dir holds the blobs (and the signing key of download URLs).
	Dir string
	// PublicURL is where the service is reachable ("http://host:9517/image").
	PublicURL string
	// MaxImageSize caps an upload in bytes (default 2 GiB).
	MaxImageSize int64
	// DownloadTTL is how long a signed download URL stays valid (default 5 min).
	DownloadTTL time.Duration
}

// Service is the image service.
type Service struct {
	cfg  Config
	st   store.GlanceImages
	auth TokenValidator
	log  *slog.Logger
	key  []byte
	now  func() time.Time
}

// New opens the blob directory (creating it and its signing key).
func New(cfg Config, st store.GlanceImages, auth TokenValidator, log *slog.Logger) (*Service, error) {
	if cfg.MaxImageSize <= 0 {
		cfg.MaxImageSize = 2 << 30
	}
	if cfg.DownloadTTL <= 0 {
		cfg.DownloadTTL = 5 * time.Minute
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create image directory: %w", err)
	}
	key, err := signingKey(filepath.Join(cfg.Dir, "download.key"))
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, st: st, auth: auth, log: log.With("component", "glance"), key: key, now: time.Now}, nil
}

func signingKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) == 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("failed to read download key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write download key: %w", err)
	}
	return key, nil
}

func (s *Service) blobPath(id string) string { return filepath.Join(s.cfg.Dir, "blobs", id) }

// Lookup finds an active image by ID or name as project sees it (its own,
// public and community images); a name several images share is a
// conflict. For the conductor (the glance image driver).
func (s *Service) Lookup(ctx context.Context, project, idOrName string) (*model.GlanceImage, error) {
	// A fresh context: the caller's may be a system (unscoped) one.
	scoped, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	ctx = zunctx.WithIdentity(scoped, zunctx.Identity{ProjectID: project, UserID: "zun-compute"})
	im, err := s.st.Get(ctx, idOrName)
	if errors.Is(err, errdefs.ErrNotFound) {
		list, lerr := s.st.List(ctx, store.GlanceImageFilter{Name: idOrName}, store.ListOptions{Limit: 2})
		if lerr != nil {
			return nil, lerr
		}
		switch len(list) {
		case 0:
			return nil, fmt.Errorf("image %s could not be found in the image service: %w", idOrName, errdefs.ErrNotFound)
		case 1:
			im, err = list[0], nil
		default:
			return nil, fmt.Errorf("multiple images named %s exist in the image service, use the image ID: %w", idOrName, errdefs.ErrConflict)
		}
	}
	if err != nil {
		return nil, err
	}
	if im.Status != model.GlanceActive {
		return nil, fmt.Errorf("image %s is %s, not active: %w", idOrName, im.Status, errdefs.ErrConflict)
	}
	return im, nil
}

// Search lists the images project sees whose name is name (exact) or
// contains it.
func (s *Service) Search(ctx context.Context, name string, exact bool) ([]*model.GlanceImage, error) {
	f := store.GlanceImageFilter{Status: model.GlanceActive}
	if exact {
		f.Name = name
	}
	list, err := s.st.List(ctx, f, store.ListOptions{Limit: 1000})
	if err != nil || exact {
		return list, err
	}
	out := list[:0]
	for _, im := range list {
		if containsFold(im.Name, name) {
			out = append(out, im)
		}
	}
	return out, nil
}

// DownloadURL returns a URL that serves the blob of id without a token
// until it expires.
func (s *Service) DownloadURL(id string) string {
	return s.signedURL("download", id, s.cfg.DownloadTTL)
}

// UploadURL returns a URL that accepts the data of the queued image id
// without a token until it expires (a commit on a compute host).
func (s *Service) UploadURL(id string) string {
	return s.signedURL("upload", id, 30*time.Minute)
}

func (s *Service) signedURL(kind, id string, ttl time.Duration) string {
	exp := strconv.FormatInt(s.now().Add(ttl).Unix(), 10)
	return s.cfg.PublicURL + "/zun-" + kind + "/" + id + "?expires=" + exp + "&sig=" + s.sign(kind, id, exp)
}

func (s *Service) sign(kind, id, exp string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(kind + "\n" + id + "\n" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) checkSignature(r *http.Request, kind, id string) bool {
	exp, sig := r.URL.Query().Get("expires"), r.URL.Query().Get("sig")
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || s.now().Unix() > n {
		return false
	}
	want := s.sign(kind, id, exp)
	return hmac.Equal([]byte(want), []byte(sig))
}

// Upload stores r as the data of image id (status queued): the status goes
// to saving, then active with size and hashes, or killed when the upload
// fails. For `zun commit` and tests; the HTTP PUT uses it too.
func (s *Service) Upload(ctx context.Context, id string, r interface{ Read([]byte) (int, error) }) (*model.GlanceImage, error) {
	return s.upload(ctx, id, r)
}
