// Command zun-compute is the compute agent of one host: it drives the local
// Docker engine for zun-api over the NATS bus and holds no database
// credentials.
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
	cfg, err := config.Load("zun-compute", args, os.Environ())
	if err != nil {
		fmt.Fprintln(os.Stderr, "zun-compute:", err)
		return 2
	}
	log := service.NewLogger(os.Stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := service.RunCompute(ctx, cfg, log); err != nil {
		log.Error("zun-compute failed", "err", err)
		return 1
	}
	return 0
}
