// Command zun-api serves the Zun API v1 with its integrated scheduler and
// the conductor for compute agents; --all-in-one also runs the embedded
// NATS server, identity and a compute agent on the local Docker engine.
package main

import (
	"os"

	"github.com/openzun/zun/internal/service"
)

func main() { os.Exit(service.Main("zun-api", os.Args[1:], service.RunAPI)) }
