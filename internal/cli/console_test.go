package cli

import "testing"

func TestEscaper(t *testing.T) {
	for _, tc := range []struct {
		in     []string
		out    string
		detach bool
	}{
		{in: []string{"ls\r"}, out: "ls\r"},
		{in: []string{"~."}, out: "", detach: true},                 // at the start
		{in: []string{"ls\r", "~", "."}, out: "ls\r", detach: true}, // split reads
		{in: []string{"a~.b"}, out: "a~.b"},                         // not after a newline
		{in: []string{"\r~~."}, out: "\r~."},                        // ~~ sends one ~
		{in: []string{"\r~x"}, out: "\r~x"},
		{in: []string{"echo\n~.rest"}, out: "echo\n", detach: true},
		{in: []string{"\r", "\x1b[5;5R", "~."}, out: "\r\x1b[5;5R", detach: true}, // a cursor report between
		{in: []string{"\r\x1b[5;5R", "~."}, out: "\r\x1b[5;5R", detach: true},     // ... in the Enter's read
		{in: []string{"\r\x1b[40;3R~."}, out: "\r\x1b[40;3R", detach: true},       // ... all in one read
		{in: []string{"\r\x1b[5;", "5R~."}, out: "\r\x1b[5;5R", detach: true},     // a report split
		{in: []string{"\x1b[A\r~."}, out: "\x1b[A\r", detach: true},               // arrow key, Enter
		{in: []string{"x\x1bOA~."}, out: "x\x1bOA~."},                             // not after a newline
		{in: []string{"ls\x1b[D~."}, out: "ls\x1b[D~."},                           // mid-line
		{in: []string{"\x1b\r~."}, out: "\x1b\r", detach: true},                   // Escape key, Enter
	} {
		e := escaper{startOfLine: true}
		var got string
		detached := false
		for _, chunk := range tc.in {
			out, d := e.filter([]byte(chunk))
			got += string(out)
			if d {
				detached = true
				break
			}
		}
		if got != tc.out || detached != tc.detach {
			t.Errorf("%q: got %q detach=%v, want %q detach=%v", tc.in, got, detached, tc.out, tc.detach)
		}
	}
}
