// Command zun-api serves the Zun API v1 with its integrated scheduler and
// the conductor for compute agents; --all-in-one also runs the embedded
// NATS server, identity and a compute agent on the local Docker engine.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/openzun/zun/internal/config"
	"github.com/openzun/zun/internal/service"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	cfg, err := config.Load("zun-api", args, os.Environ())
	if err != nil {
		fmt.Fprintln(os.Stderr, "zun-api:", err)
		return 2
	}
	log := service.NewLogger(os.Stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := service.RunAPI(ctx, cfg, log); err != nil {
		log.Error("zun-api failed", "err", err)
		return 1
	}
	return 0
}
