package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/store"
)

// listing describes how a table is paged: the columns a list may be sorted
// by and the default. Every table has an id tie-breaker and a uuid marker.
type listing struct {
	table       string
	sortKeys    []string
	defaultSort string
}

// pageClause returns the marker condition (to AND into the WHERE clause),
// its arguments, and the ORDER BY and LIMIT tail for opts. cond and args
// restrict the marker lookup the same way as the list (scope), so a marker
// of another project is not found.
func (l listing) pageClause(ctx context.Context, p *pool, opts store.ListOptions, cond string, args []any) (
	markerCond string, markerArgs []any, tail string, err error) {
	key := opts.SortKey
	if key == "" {
		key = l.defaultSort
	}
	if !slices.Contains(l.sortKeys, key) {
		return "", nil, "", fmt.Errorf("invalid sort key %q, valid keys are %s: %w",
			key, strings.Join(l.sortKeys, ", "), errdefs.ErrInvalidArgument)
	}
	dir := strings.ToLower(opts.SortDir)
	if dir == "" {
		dir = "asc"
	}
	if dir != "asc" && dir != "desc" {
		return "", nil, "", fmt.Errorf("invalid sort direction %q, acceptable values are 'asc' or 'desc': %w",
			opts.SortDir, errdefs.ErrInvalidArgument)
	}
	if opts.Limit < 0 {
		return "", nil, "", fmt.Errorf("invalid limit %d: %w", opts.Limit, errdefs.ErrInvalidArgument)
	}
	if opts.Marker != "" {
		var (
			id  int64
			val any
		)
		q := "SELECT id, " + key + " FROM " + l.table + " WHERE uuid = ?" + cond
		rows, err := p.queryDynamic(ctx, q, append([]any{opts.Marker}, args...)...)
		if err != nil {
			return "", nil, "", p.d.dbError(err, "find marker")
		}
		found := rows.Next()
		if found {
			err = rows.Scan(&id, &val)
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return "", nil, "", p.d.dbError(err, "find marker")
		}
		if !found {
			return "", nil, "", fmt.Errorf("marker %s not found: %w", opts.Marker, errdefs.ErrInvalidArgument)
		}
		op := ">"
		if dir == "desc" {
			op = "<"
		}
		if key == "id" {
			markerCond = " AND id " + op + " ?"
			markerArgs = []any{id}
		} else {
			markerCond = " AND (" + key + " " + op + " ? OR (" + key + " = ? AND id " + op + " ?))"
			markerArgs = []any{val, val, id}
		}
	}
	tail = " ORDER BY " + key + " " + dir
	if key != "id" {
		tail += ", id " + dir
	}
	if opts.Limit > 0 {
		tail += " LIMIT " + strconv.Itoa(opts.Limit)
	}
	return markerCond, markerArgs, tail, nil
}
