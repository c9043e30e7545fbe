package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed *.sql
var files embed.FS

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// All returns the migrations in version order. Versions start at 1 and
// strictly increase; gaps are allowed because numbers are handed out to
// branches developed in parallel, and the migrator applies every migration
// not yet recorded, whatever its number.
func All() ([]Migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("failed to list migrations: %w", err)
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for i, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q: name must start with a number and an underscore", name)
		}
		if (i == 0 && v != 1) || (i > 0 && v <= out[i-1].Version) {
			return nil, fmt.Errorf("migration %q: versions must start at 1 and strictly increase", name)
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("failed to read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	return out, nil
}

// SchemaVersion is the version a fully migrated database has: the number of
// migration files.
func SchemaVersion() int {
	names, _ := fs.Glob(files, "*.sql")
	return len(names)
}

// Statements splits a migration into single statements: a statement ends
// with a semicolon at the end of a line. Lines starting with "--" are
// comments.
func Statements(sql string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
