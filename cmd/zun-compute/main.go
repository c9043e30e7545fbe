// Command zun-compute is the compute agent of one host: it drives the local
// Docker engine for zun-api over the NATS bus and holds no database
// credentials.
package main

import (
	"os"

	"github.com/openzun/zun/internal/service"
)

func main() { os.Exit(service.Main("zun-compute", os.Args[1:], service.RunCompute)) }
