package conductor

import (
	"context"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/rpc"
)

// maxCommitReason bounds the reason kept on the image.
const maxCommitReason = 1024

// commitFailed marks the image a commit was uploading to killed, with the
// reason, when the container's own host reports the failure and the image
// is that container's commit.
func (c *Conductor) commitFailed(ctx context.Context, f rpc.CommitFailed) (any, error) {
	ct, err := c.st.Containers().Get(ctx, f.ContainerUUID)
	if err != nil {
		return nil, err
	}
	if ct.Host != f.Host {
		return nil, fmt.Errorf("%s: %w", errNotOwner.Error(), errdefs.ErrForbidden)
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
