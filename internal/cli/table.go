package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// table renders rows like Python's prettytable with left alignment, as the
// OpenStack clients print them:
//
//	+------+-------+
//	| uuid | name  |
//	+------+-------+
//	| 1234 | web   |
//	+------+-------+
type table struct {
	header []string
	rows   [][]string
}

func newTable(header ...string) *table { return &table{header: header} }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	widths := make([]int, len(t.header))
	measure := func(i int, cell string) {
		for _, line := range strings.Split(cell, "\n") {
			if n := utf8.RuneCountInString(line); n > widths[i] {
				widths[i] = n
			}
		}
	}
	for i, h := range t.header {
		measure(i, h)
	}
	for _, r := range t.rows {
		for i := range t.header {
			measure(i, cellAt(r, i))
		}
	}
	var b strings.Builder
	rule := func() {
		b.WriteByte('+')
		for _, w := range widths {
			b.WriteString(strings.Repeat("-", w+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(cells []string) {
		lines := make([][]string, len(widths))
		height := 1
		for i := range widths {
			lines[i] = strings.Split(cellAt(cells, i), "\n")
			height = max(height, len(lines[i]))
		}
		for l := 0; l < height; l++ {
			b.WriteByte('|')
			for i, w := range widths {
				s := ""
				if l < len(lines[i]) {
					s = lines[i][l]
				}
				b.WriteString(" " + s + strings.Repeat(" ", w-utf8.RuneCountInString(s)) + " |")
			}
			b.WriteByte('\n')
		}
	}
	rule()
	line(t.header)
	rule()
	for _, r := range t.rows {
		line(r)
	}
	rule()
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("failed to write output: %w", err)
	}
	return nil
}

func cellAt(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}
