// Command zun is the command line client of the Zun container API, a
// drop-in for python-zunclient's zun shell.
package main

import (
	"os"

	"github.com/openzun/zun/internal/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr)) }
