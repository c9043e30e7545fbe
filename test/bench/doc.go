// Command bench measures the real binaries against the real Docker engine
// and prints a markdown report; `make bench` runs it after `make build`.
//
// In one run it measures:
//
//  1. Create-to-Running of one container at a time through the Zun API
//     (POST /v1/containers?run=true, GET polled every 5 ms) against the
//     floor, a raw Docker Engine API create+start of the same image and
//     command, interleaved;
//  2. 20 parallel creates through the API against 20 parallel raw
//     create+starts (wall time and ratio);
//  3. GET of one container with 10,000 containers in the store, on a
//     separate all-in-one with the in-memory fake driver (requests/s and
//     latency percentiles under a keep-alive client);
//  4. resident memory (VmRSS) of the idle all-in-one, of the all-in-one
//     running 100 containers, and of an idle zun-compute alone;
//  6. an interactive session through zun-wsproxy against the engine's own
//     attach stream: round-trip latency and stream throughput
//     (-phases wsproxy runs it alone).
//
// Every process, temporary directory and container the driver starts is
// removed on exit, also on error or SIGINT/SIGTERM. Traffic goes only to
// 127.0.0.1 and the local Docker socket.
//
// Usage:
//
//	go run ./test/bench [-bin ./bin] [-runs 30] [-quick] [-out FILE]
package main
