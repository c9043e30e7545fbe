// Package fake is an in-memory container.Driver for scheduler, compute and
// scale tests: thousands of "containers" cost a map entry each, and
// creation delays, create failures and exits can be injected. It follows
// the same state rules as the docker driver (shared through zunstate):
// operations invalid in the current state give errdefs.ErrConflict,
// unknown containers errdefs.ErrNotFound, bad signals
// errdefs.ErrInvalidArgument. Every image exists except names starting
// with "missing/". Nothing runs: Exec echoes its command unless
// Options.Exec says otherwise, and logs hold only what WriteLog adds.
package fake
