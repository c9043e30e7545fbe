package conductor

import (
	"context"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
	"github.com/openzun/zun/internal/store"
)

// maxCommitReason bounds the reason kept on the image.
const maxCommitReason = 1024

// commitFailed marks the image a commit was uploading to killed, with the
// reason, when the container's own host reports the failure and the image
// is that container's commit.
func (c *Conductor) commitFailed(ctx context.Context, f rpc.CommitFailed) (any, error) {
	_, err := c.placedOn(ctx, f.ContainerUUID, f.Host)
	if err != nil {
		return nil, err
	}
	reason := f.Reason
	if len(reason) > maxCommitReason {
		reason = reason[:maxCommitReason]
	}
	_, err = c.st.GlanceImages().Update(ctx, f.GlanceImageID, func(im *model.GlanceImage) error {
		if im.Properties["zun_container"] != f.ContainerUUID {
			return fmt.Errorf("image %s is not a commit of container %s: %w", f.GlanceImageID, f.ContainerUUID, errdefs.ErrForbidden)
		}
		if im.Status == model.GlanceQueued || im.Status == model.GlanceSaving {
			im.Status = model.GlanceKilled
		}
		im.Properties["zun_commit_error"] = reason
		return nil
	})
	return nil, err
}

// commitsInterrupted marks killed the images still queued or saving from
// commits of containers on a restarted host, cast before it started: the
// agent that took them is gone.
func (c *Conductor) commitsInterrupted(ctx context.Context, r rpc.CommitsInterrupted) (any, error) {
	if r.Host == "" || r.StartedAt.IsZero() {
		return nil, fmt.Errorf("commits_interrupted needs a host and a start time: %w", errdefs.ErrInvalidArgument)
	}
	reason := fmt.Sprintf("The commit was interrupted: the compute agent of host %s restarted.", r.Host)
	for _, status := range []string{model.GlanceQueued, model.GlanceSaving} {
		list, err := c.st.GlanceImages().List(ctx, store.GlanceImageFilter{Status: status}, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, im := range list {
			ctr := im.Properties["zun_container"]
			if ctr == "" || !im.CreatedAt.Before(r.StartedAt) {
				continue
			}
			ct, err := c.st.Containers().Get(ctx, ctr)
			if err != nil || ct.Host != r.Host {
				continue
			}
			if _, err := c.commitFailed(ctx, rpc.CommitFailed{ContainerUUID: ctr, Host: r.Host, GlanceImageID: im.UUID, Reason: reason}); err != nil {
				c.log.Warn("failed to mark an interrupted commit", "image", im.UUID, "err", err)
			}
		}
	}
	return nil, nil
}
