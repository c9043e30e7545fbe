package glance

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Property names the OpenStack SDK sets with the hashes it computed
// locally; an upload that does not match them is refused.
const (
	propSHA256 = "owner_specified.openstack.sha256"
	propMD5    = "owner_specified.openstack.md5"
)

var errTooLarge = errors.New("image too large")

// limitedReader fails once more than n bytes were read.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

func (s *Service) upload(ctx context.Context, id string, body io.Reader) (*model.GlanceImage, error) {
	// queued -> saving, atomically: a second concurrent upload is refused.
	im, err := s.st.Update(ctx, id, func(im *model.GlanceImage) error {
		if im.Status != model.GlanceQueued {
			return errdefs.New(errdefs.ErrConflict, fmt.Sprintf("Image status transition from %s to saving is not allowed", im.Status))
		}
		im.Status = model.GlanceSaving
		return nil
	})
	if err != nil {
		return nil, err
	}
	final := s.blobPath(im.UUID)
	size, md5sum, sha, err := s.writeBlob(final, body)
	if err == nil {
		if want := im.Properties[propSHA256]; want != "" && !strings.EqualFold(want, sha) {
			err = errdefs.New(errdefs.ErrInvalidArgument, "The uploaded data does not match the SHA-256 checksum the client computed.")
		} else if want := im.Properties[propMD5]; want != "" && !strings.EqualFold(want, md5sum) {
			err = errdefs.New(errdefs.ErrInvalidArgument, "The uploaded data does not match the MD5 checksum the client computed.")
		}
	}
	if err != nil {
		_ = os.Remove(final)
		s.kill(context.WithoutCancel(ctx), im.UUID)
		return nil, err
	}
	out, err := s.st.Update(context.WithoutCancel(ctx), im.UUID, func(im *model.GlanceImage) error {
		if im.Status != model.GlanceSaving {
			return fmt.Errorf("image changed during upload: %w", errdefs.ErrConflict)
		}
		im.Status, im.Size, im.Checksum, im.HashAlgo, im.HashValue = model.GlanceActive, size, md5sum, "sha256", sha
		return nil
	})
	if err != nil {
		// Deleted meanwhile: its blob must not outlive it.
		_ = os.Remove(final)
		return nil, err
	}
	return out, nil
}

// writeBlob streams body to path through a temporary file, capped at the
// configured size, and returns its size and hashes.
func (s *Service) writeBlob(path string, body io.Reader) (int64, string, string, error) {
	tmp, err := os.CreateTemp(s.cfg.Dir+"/blobs", ".upload-*")
	if err != nil {
		return 0, "", "", fmt.Errorf("failed to store image: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	hm, hs := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, hm, hs), &limitedReader{r: body, n: s.cfg.MaxImageSize})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errTooLarge) {
		return 0, "", "", errdefs.New(errdefs.ErrTooLarge, fmt.Sprintf("Image exceeds the storage quota: the maximum image size is %d bytes.", s.cfg.MaxImageSize))
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("failed to receive image data: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, "", "", fmt.Errorf("failed to store image: %w", err)
	}
	return n, hex.EncodeToString(hm.Sum(nil)), hex.EncodeToString(hs.Sum(nil)), nil
}

func (s *Service) kill(ctx context.Context, id string) {
	if _, err := s.st.Update(ctx, id, func(im *model.GlanceImage) error {
		im.Status = model.GlanceKilled
		return nil
	}); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		s.log.Warn("failed to mark image killed", "id", id, "err", err)
	}
}

// Delete removes an image and its blob. Protected images are refused.
func (s *Service) Delete(ctx context.Context, id string) error {
	im, err := s.st.Update(ctx, id, func(im *model.GlanceImage) error {
		if im.Protected {
			return errdefs.New(errdefs.ErrForbidden, "Image "+im.UUID+" is protected and cannot be deleted.")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.st.Delete(ctx, im.UUID); err != nil {
		return err
	}
	if err := os.Remove(s.blobPath(im.UUID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("failed to remove image data", "id", im.UUID, "err", err)
	}
	return nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
