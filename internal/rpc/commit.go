package rpc

import (
	"context"
	"time"
)

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

// MethodCommitsInterrupted tells the conductor an agent started: the
// commits cast to its previous run (before StartedAt) never finish.
const MethodCommitsInterrupted = "commits_interrupted"

// CommitsInterrupted names the restarted host and when it started.
type CommitsInterrupted struct {
	Host      string    `json:"host"`
	StartedAt time.Time `json:"started_at"`
}

// CommitsInterrupted reports an agent start.
func (c ConductorClient) CommitsInterrupted(ctx context.Context, r CommitsInterrupted) error {
	return c.call(ctx, MethodCommitsInterrupted, r, nil)
}
