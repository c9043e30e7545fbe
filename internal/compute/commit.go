package compute

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/openzun/zun/internal/container"
	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// opCommit (a cast: the API answered 202 already) commits the container,
// exports the image as a `docker save` archive and streams it to the image
// service's signed upload URL, valid for that one image. A failure marks
// the image killed, with the reason, through the conductor; the action
// records the outcome either way.
func (a *Agent) opCommit(ctx context.Context, req rpc.ContainerRequest) (any, error) {
	op := req.ImageOp
	if op == nil || op.UploadURL == "" || op.GlanceImageID == "" {
		return nil, fmt.Errorf("commit without a target image: %w", errdefs.ErrInvalidArgument)
	}
	c := &req.Container
	done := a.action(ctx, c, req.RequestID, "commit")
	err := a.commit(ctx, c, op)
	done(err)
	if err != nil {
		a.log.Warn("commit failed", "uuid", c.UUID, "image", op.GlanceImageID, "err", err)
		if rerr := a.cond.CommitFailed(ctx, rpc.CommitFailed{ContainerUUID: c.UUID, Host: a.cfg.Host,
			GlanceImageID: op.GlanceImageID, Reason: err.Error()}); rerr != nil {
			a.log.Warn("failed to report the failed commit", "uuid", c.UUID, "err", rerr)
		}
	}
	return nil, err
}

func (a *Agent) commit(ctx context.Context, c *model.Container, op *rpc.ImageOp) error {
	cm, ok := a.drv.(container.Committer)
	if !ok {
		return errdefs.New(errdefs.ErrNotImplemented, "the container driver cannot commit containers")
	}
	unlock := a.locks.Lock(c.UUID)
	info, err := cm.Commit(ctx, c, op.Repo, op.Tag)
	unlock()
	if err != nil {
		return fmt.Errorf("failed to commit container: %w", err)
	}
	rc, err := cm.SaveImage(ctx, info.ID)
	if err != nil {
		return err
	}
	defer rc.Close()
	put, err := http.NewRequestWithContext(ctx, http.MethodPut, op.UploadURL, rc)
	if err != nil {
		return err
	}
	put.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(put)
	if err != nil {
		return fmt.Errorf("failed to upload the committed image: %w", errdefs.ErrUnavailable)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the image service refused the committed image: %s: %w", resp.Status, errdefs.ErrUnavailable)
	}
	tag := op.Tag
	if tag == "" {
		tag = "latest"
	}
	if err := a.cond.ImageRecord(ctx, rpc.ImageRecord{Host: a.cfg.Host, ProjectID: c.ProjectID, Repo: op.Repo, Tag: tag,
		ImageID: info.ID, Size: info.Size, Driver: DriverDocker, Status: model.ImageReady}); err != nil {
		a.log.Warn("failed to record committed image", "err", err)
	}
	return nil
}
