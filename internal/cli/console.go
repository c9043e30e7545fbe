package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
)

// escapeChar starts the local escape sequence: "~." after a newline
// detaches, "~~" sends one "~".
const escapeChar = '~'

// errLost is a session cut by the proxy's side without a close.
var errLost = errors.New("connection to the websocket proxy lost")

func (a *app) attachCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "attach <container>",
		Short: "Attach to a running container.",
		Long:  "Attach the terminal to an interactive running container; type ~. after a newline to detach.",
		Args:  exactArgs(1, "a container"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.client(cmd.Context())
			if err != nil {
				return err
			}
			return a.attach(cmd.Context(), cl, args[0])
		},
	}
}

func (a *app) attach(ctx context.Context, cl *client.Client, id string) error {
	u, err := cl.AttachURL(ctx, id)
	if err != nil {
		return err
	}
	return a.session(ctx, u, id, func(w, h int) error { return cl.ResizeTTY(context.Background(), id, w, h) })
}

// execInteractive runs an interactive exec through the websocket proxy.
func (a *app) execInteractive(ctx context.Context, cl *client.Client, id, command string) error {
	res, err := cl.Execute(ctx, id, client.ExecOptions{Command: command, Detach: true, Interactive: true})
	if err != nil {
		return err
	}
	if res.ProxyURL == nil || res.ExecID == nil {
		return errors.New("the server returned no websocket URL for the exec")
	}
	execID := *res.ExecID
	return a.session(ctx, *res.ProxyURL, id, func(w, h int) error {
		return cl.ExecuteResize(context.Background(), id, execID, w, h)
	})
}

// waitRunning waits for a new container to run before attaching.
func waitRunning(ctx context.Context, cl *client.Client, id string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		c, err := cl.GetContainer(ctx, id, false)
		if err != nil {
			return err
		}
		switch c.Status {
		case api.StatusRunning:
			return nil
		case api.StatusError, api.StatusStopped, api.StatusDeleted:
			return fmt.Errorf("container %s is %s, cannot attach", id, c.Status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	return fmt.Errorf("container %s did not start in time", id)
}

// session relays the terminal to the websocket at u: raw mode, window
// size changes sent with resize, "~." after a newline detaches.
func (a *app) session(ctx context.Context, u, id string, resize func(w, h int) error) error {
	s, err := client.DialSession(ctx, u)
	if err != nil {
		return err
	}
	defer s.CloseNow()
	in, out := os.Stdin, os.Stdout
	fmt.Fprintf(a.stderr, "connected to %s, press Enter to continue\ntype %c. to disconnect\n", id, escapeChar)
	if term.IsTerminal(int(in.Fd())) {
		old, err := term.MakeRaw(int(in.Fd()))
		if err != nil {
			return fmt.Errorf("failed to put the terminal in raw mode: %w", err)
		}
		defer func() { _ = term.Restore(int(in.Fd()), old) }()
	}
	sendSize := func() {
		if w, h, err := term.GetSize(int(out.Fd())); err == nil && w > 0 && h > 0 {
			_ = resize(w, h)
		}
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	sendSize()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- relayInput(ctx, s, in) }()
	go func() { done <- relayOutput(ctx, s, out) }()
	for {
		select {
		case <-winch:
			sendSize()
		case err := <-done:
			cancel()
			_ = s.Close(websocket.StatusNormalClosure, "")
			if errors.Is(err, errDetached) {
				fmt.Fprintf(a.stderr, "\r\ndetached from %s\r\n", id)
				return nil
			}
			if errors.Is(err, errLost) {
				fmt.Fprintf(a.stderr, "\r\n")
			}
			return err
		}
	}
}

var errDetached = errors.New("detached")

// relayInput sends stdin, watching for the escape sequence.
func relayInput(ctx context.Context, s *client.Session, in io.Reader) error {
	buf := make([]byte, 4096)
	esc := escaper{startOfLine: true}
	for {
		n, err := in.Read(buf)
		if n > 0 {
			data, detach := esc.filter(buf[:n])
			if len(data) > 0 {
				if werr := s.Write(ctx, websocket.MessageBinary, data); werr != nil {
					return errLost
				}
			}
			if detach {
				return errDetached
			}
		}
		if err != nil {
			// End of input: detach, leaving the process running.
			return errDetached
		}
	}
}

// relayOutput prints what the container sends until the session closes.
func relayOutput(ctx context.Context, s *client.Session, out io.Writer) error {
	for {
		_, msg, err := s.Read(ctx)
		if err != nil {
			switch websocket.CloseStatus(err) {
			case websocket.StatusNormalClosure:
				return nil
			case websocket.StatusGoingAway:
				return errLost
			case websocket.StatusPolicyViolation:
				return errors.New("session closed by the proxy (idle timeout)")
			}
			if ctx.Err() != nil {
				return nil
			}
			return errLost
		}
		if _, err := out.Write(msg); err != nil {
			return err
		}
	}
}

// escaper implements ssh-style "~." after a newline.
type escaper struct {
	startOfLine bool
	pending     bool // saw "~" at the start of a line
	seq         seqState
}

// seqState follows a terminal escape sequence (a key, or the terminal
// answering the program, as busybox's shell asking the cursor position
// after each prompt), which may arrive in the same read as typed bytes.
type seqState int

const (
	seqNone seqState = iota
	seqEsc           // after ESC
	seqCSI           // after ESC [: parameters until a final byte
	seqSS3           // after ESC O: one more byte
)

// filter returns the bytes to send and whether to detach. Escape
// sequences pass through and leave the line state alone, so "~." right
// after Enter detaches even when the terminal's cursor report came in
// between (in its own read or in the same one).
func (e *escaper) filter(p []byte) ([]byte, bool) {
	out := make([]byte, 0, len(p)+1)
	for _, b := range p {
		if e.inSequence(b) {
			out = append(out, b)
			continue
		}
		if e.pending {
			e.pending = false
			switch b {
			case '.':
				return out, true
			case escapeChar:
				out = append(out, escapeChar)
				e.startOfLine = false
				continue
			default:
				out = append(out, escapeChar)
			}
		} else if e.startOfLine && b == escapeChar {
			e.pending = true
			continue
		}
		if b == 0x1b {
			e.seq = seqEsc
			out = append(out, b)
			continue
		}
		out = append(out, b)
		e.startOfLine = b == '\r' || b == '\n'
	}
	return out, false
}

// inSequence reports whether b belongs to the escape sequence in
// progress (and advances it).
func (e *escaper) inSequence(b byte) bool {
	switch e.seq {
	case seqEsc:
		switch b {
		case '[':
			e.seq = seqCSI
		case 'O':
			e.seq = seqSS3
		case '\r', '\n', 0x1b:
			e.seq = seqNone // a lone Escape key: the byte is typed input
			return false
		default:
			e.seq = seqNone
		}
		return true
	case seqCSI:
		if b >= 0x40 && b <= 0x7e {
			e.seq = seqNone
		}
		return true
	case seqSS3:
		e.seq = seqNone
		return true
	}
	return false
}

func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
