package rpc

import "context"

// MethodCommitFailed reports a commit the agent could not finish, so the
// conductor marks its image killed with the reason.
const MethodCommitFailed = "commit_failed"

// CommitFailed names the container, the image service record its commit
// was uploading to, and why it failed.
type CommitFailed struct {
	ContainerUUID string `json:"container_uuid"`
	Host          string `json:"host"`
	GlanceImageID string `json:"glance_image_id"`
	Reason        string `json:"reason"`
}

// CommitFailed reports a failed commit.
func (c ConductorClient) CommitFailed(ctx context.Context, f CommitFailed) error {
	return c.call(ctx, MethodCommitFailed, f, nil)
}
