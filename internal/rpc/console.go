package rpc

import (
	"context"
	"time"

	"github.com/openzun/zun/internal/container"
)

// Compute methods of interactive access and copy.
const (
	// MethodConsoleGrant hands the agent a session grant (and creates the
	// exec of an interactive execute).
	MethodConsoleGrant = "console_grant"
	// MethodConsoleEndpoint asks an agent for the address of its console
	// link (the proxy's next hop).
	MethodConsoleEndpoint = "console_endpoint"
	MethodResize          = "resize"
	MethodExecResize      = "exec_resize"
	MethodGetArchive      = "get_archive"
	MethodPutArchive      = "put_archive"
)

// Conductor method: the host of a container, for the proxy.
const MethodConsoleHost = "console_host"

// ConsoleRequest is the console part of a ContainerRequest.
type ConsoleRequest struct {
	// TokenHash is the hex SHA-256 of the session token; the token itself
	// never leaves zun-api's answer to the user.
	TokenHash string    `json:"token_hash,omitempty"`
	UserID    string    `json:"user_id,omitempty"`
	Expires   time.Time `json:"expires,omitzero"`
	// Command, when set, creates an exec (interactive: TTY and stdin).
	Command     []string `json:"command,omitempty"`
	Interactive bool     `json:"interactive,omitempty"`
	ExecID      string   `json:"exec_id,omitempty"`
	// ArchiveOp (consolelink.OpGetArchive, OpPutArchive) makes the grant
	// one streamed copy of ArchivePath instead of a session.
	ArchiveOp   string `json:"archive_op,omitempty"`
	ArchivePath string `json:"archive_path,omitempty"`
	Height      uint   `json:"height,omitempty"`
	Width       uint   `json:"width,omitempty"`
}

// ConsoleGrantReply answers MethodConsoleGrant.
type ConsoleGrantReply struct {
	ExecID string `json:"exec_id,omitempty"`
}

// ConsoleEndpointReply answers MethodConsoleEndpoint.
type ConsoleEndpointReply struct {
	Address string `json:"address"`
}

// ArchiveRequest is the copy part of a ContainerRequest.
type ArchiveRequest struct {
	Path string `json:"path"`
	Data []byte `json:"data,omitempty"` // tar (put)
}

// ArchiveReply answers MethodGetArchive.
type ArchiveReply struct {
	Data []byte             `json:"data"`
	Stat container.PathStat `json:"stat"`
}

// ConsoleHostRequest asks the conductor where a container runs.
type ConsoleHostRequest struct {
	UUID string `json:"uuid"`
}

// ConsoleHostReply is the container's host ("" when it has none).
type ConsoleHostReply struct {
	Host string `json:"host"`
}

// ConsoleHost asks where container uuid runs.
func (c ConductorClient) ConsoleHost(ctx context.Context, uuid string) (string, error) {
	var r ConsoleHostReply
	if err := c.call(ctx, MethodConsoleHost, ConsoleHostRequest{UUID: uuid}, &r); err != nil {
		return "", err
	}
	return r.Host, nil
}
