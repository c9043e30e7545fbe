package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/openzun/zun/api"
)

// LogsOptions are the parameters of GET .../logs. When neither Stdout nor
// Stderr is set both streams are returned, as python-zunclient does.
type LogsOptions struct {
	Stdout     bool
	Stderr     bool
	Timestamps bool
	// Tail is a line count or "all" (empty for all).
	Tail string
	// Since is an epoch in seconds or "YYYY-MM-DD HH:MM:SS,fff".
	Since string
}

// ExecOptions are the parameters of POST .../execute.
type ExecOptions struct {
	// Command is the command line, split by the server like a shell
	// would; build it from arguments with QuoteCommand.
	Command string
	// Detach sends run=false: the server only creates the exec instance
	// and returns its exec_id and proxy_url.
	Detach bool
	// Interactive keeps stdin open for a websocket session.
	Interactive bool
}

// Stats is the answer of GET .../stats: keys such as "CPU %",
// "MEM USAGE(MiB)", "BLOCK I/O(B)".
type Stats map[string]any

// StatsKeys is the order in which Zun lists the stats keys.
var StatsKeys = []string{"CONTAINER", "CPU %", "MEM USAGE(MiB)", "MEM LIMIT(MiB)", "MEM %", "BLOCK I/O(B)", "NET I/O(B)"}

// ContainerLogs returns the logs of a container as text.
func (c *Client) ContainerLogs(ctx context.Context, id string, o LogsOptions) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	if !o.Stdout && !o.Stderr {
		o.Stdout, o.Stderr = true, true
	}
	q := url.Values{}
	q.Set("stdout", strconv.FormatBool(o.Stdout))
	q.Set("stderr", strconv.FormatBool(o.Stderr))
	q.Set("timestamps", strconv.FormatBool(o.Timestamps))
	setStr(q, "tail", o.Tail)
	setStr(q, "since", o.Since)
	var raw json.RawMessage
	if err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "logs"), query: q, out: &raw}); err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("failed to decode logs: %w", err)
	}
	return s, nil
}

// ContainerTop lists the processes of a running container; psArgs are ps
// options such as "aux" (empty for the default).
func (c *Client) ContainerTop(ctx context.Context, id, psArgs string) (*api.TopResult, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	q := url.Values{}
	setStr(q, "ps_args", psArgs)
	var out api.TopResult
	if err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "top"), query: q, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ContainerStats returns a resource usage snapshot of a running container.
func (c *Client) ContainerStats(ctx context.Context, id string) (Stats, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	out := Stats{}
	if err := c.do(ctx, request{method: http.MethodGet, path: path("containers", id, "stats"), out: &out}); err != nil {
		return nil, err
	}
	return out, nil
}

// Execute runs a command in a running container. Unless o.Detach, the
// call waits for the command and returns its output and exit code.
func (c *Client) Execute(ctx context.Context, id string, o ExecOptions) (*api.ExecResult, error) {
	if strings.TrimSpace(o.Command) == "" {
		return nil, errors.New("a command is required")
	}
	q := url.Values{}
	q.Set("command", o.Command)
	q.Set("run", strconv.FormatBool(!o.Detach))
	setBool(q, "interactive", o.Interactive)
	var out api.ExecResult
	if err := c.action(ctx, id, "execute", q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ExecuteResize sets the TTY size of an interactive exec instance.
func (c *Client) ExecuteResize(ctx context.Context, id, execID string, width, height int) error {
	q := url.Values{}
	q.Set("exec_id", execID)
	q.Set("w", strconv.Itoa(width))
	q.Set("h", strconv.Itoa(height))
	return c.action(ctx, id, "execute_resize", q, nil)
}

// QuoteCommand joins args into one command line that a POSIX shell-like
// splitter (Python's shlex, which Zun uses) turns back into args. Each
// argument is single-quoted; embedded single quotes become '"'"'.
func QuoteCommand(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'"'"'`) + "'"
	}
	return strings.Join(q, " ")
}
