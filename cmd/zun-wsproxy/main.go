// Command zun-wsproxy serves the websocket URLs of attach and interactive
// exec: it checks each single-use token with the container's compute agent
// over the authenticated console link and relays the session. It needs
// the bus (--nats-url) and the console link secret
// (--console-secret-file), no database.
package main

import (
	"os"

	"github.com/openzun/zun/internal/service"
)

func main() { os.Exit(service.Main("zun-wsproxy", os.Args[1:], service.RunWSProxy)) }
