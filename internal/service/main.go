package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/openzun/zun/internal/config"
)

// Main is the body of the service binaries: it loads the layered
// configuration for name, runs run until SIGINT or SIGTERM, and returns the
// exit code (2 for a configuration error, 1 for a failure).
func Main(name string, args []string, run func(context.Context, config.Config, *slog.Logger) error) int {
	cfg, err := config.Load(name, args, os.Environ())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 2
	}
	sink := newLogSink(os.Stderr)
	defer sink.Flush()
	log := NewLogger(sink, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error(name+" failed", "err", err)
		return 1
	}
	return 0
}
