package service

import (
	"io"
	"log/slog"
)

// NewLogger returns the services' logger at level (debug, info, warn,
// error), writing text lines to w.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
