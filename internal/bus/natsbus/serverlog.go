package natsbus

import (
	"context"
	"fmt"
	"log/slog"
)

// serverLogger routes nats-server's log into slog. Warnings and errors keep
// their level; notices go to debug (startup chatter), debug and trace are
// dropped (they are off in the server anyway).
type serverLogger struct{ logger *slog.Logger }

func (l *serverLogger) log(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if l.logger.Enabled(ctx, level) {
		l.logger.Log(ctx, level, fmt.Sprintf(format, v...))
	}
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log(slog.LevelDebug, format, v) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log(slog.LevelWarn, format, v) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log(slog.LevelError, format, v) }
func (l *serverLogger) Debugf(string, ...any)           {}
func (l *serverLogger) Tracef(string, ...any)           {}

// Fatalf is logged as an error: the process must not exit under the
// service, which notices a dead bus through its connections.
func (l *serverLogger) Fatalf(format string, v ...any) {
	l.logger.Error(fmt.Sprintf(format, v...), "fatal", true)
}
