package zunstate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
)

// Signal is a validated Linux signal.
type Signal struct {
	Name   string // "SIGTERM"; "SIGRTMIN+3" for real-time signals
	Number int
}

// String is the form sent to the engine.
func (s Signal) String() string { return s.Name }

// linuxSignals are the Linux numbers of the names Python's signal.Signals
// knows (Zun validates kill signals against it), aliases included.
var linuxSignals = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6,
	"BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12,
	"PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CLD": 17,
	"CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23,
	"XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29,
	"POLL": 29, "PWR": 30, "SYS": 31, "RTMIN": 34, "RTMAX": 64,
}

// canonical is the preferred name of each number below SIGRTMIN.
var canonical = func() map[int]string {
	m := map[int]string{}
	for name, n := range linuxSignals {
		switch name {
		case "IOT", "CLD", "POLL":
			continue
		}
		m[n] = "SIG" + name
	}
	return m
}()

// ParseSignal accepts a signal as Zun does: a name with or without the SIG
// prefix in any case ("SIGTERM", "TERM", "term") or a number ("15"). An
// empty string is SIGKILL, Docker's default for kill. Anything else is
// errdefs.ErrInvalidArgument.
func ParseSignal(s string) (Signal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Signal{Name: "SIGKILL", Number: 9}, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return Signal{}, fmt.Errorf("signal %q out of range 1-64: %w", s, errdefs.ErrInvalidArgument)
		}
		return fromNumber(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if n, ok := linuxSignals[name]; ok {
		return fromNumber(n), nil
	}
	return Signal{}, fmt.Errorf("unknown signal %q: %w", s, errdefs.ErrInvalidArgument)
}

func fromNumber(n int) Signal {
	if name, ok := canonical[n]; ok {
		return Signal{Name: name, Number: n}
	}
	switch {
	case n < 34: // 32 and 33 are reserved by glibc; Docker takes the number
		return Signal{Name: strconv.Itoa(n), Number: n}
	case n == 64:
		return Signal{Name: "SIGRTMAX", Number: n}
	}
	return Signal{Name: fmt.Sprintf("SIGRTMIN+%d", n-34), Number: n}
}

// Terminates reports whether the default action of s ends a process
// (everything but CHLD, CONT, URG, WINCH, and STOP-family signals).
func (s Signal) Terminates() bool {
	switch s.Number {
	case 17, 18, 19, 20, 21, 22, 23, 28:
		return false
	}
	return true
}
