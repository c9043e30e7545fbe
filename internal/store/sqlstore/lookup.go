package sqlstore

import (
	"context"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
)

// lookup finds one record of kind ("container") in the caller's scope by
// uuid, else by name: no match is errdefs.ErrNotFound, several records of
// that name errdefs.ErrConflict (conflict is the message), as Zun answers.
// byUUID scans the uuid match (a cache may serve it); scan the name
// matches.
type lookup[E any] struct {
	s         *Store
	kind      string
	selectSQL string // "SELECT ... FROM table"
	byUUID    func(sc scanner, uuid string) (*E, error)
	scan      func(scanner) (*E, error)
	conflict  string // fmt with the name
}

func (l lookup[E]) get(ctx context.Context, uuidOrName string) (*E, error) {
	var zero *E
	cond, args, err := scope(ctx)
	if err != nil {
		return zero, err
	}
	if uuidOrName == "" {
		return zero, fmt.Errorf("%s with empty name: %w", l.kind, errdefs.ErrNotFound)
	}
	r := l.s.read
	args = append([]any{uuidOrName}, args...)
	v, err := l.byUUID(r.queryRow(ctx, l.selectSQL+" WHERE uuid = ?"+cond, args...), uuidOrName)
	if err == nil {
		return v, nil
	}
	if !isNoRows(err) {
		return zero, l.s.d.dbError(err, "get "+l.kind)
	}
	rows, err := r.query(ctx, l.selectSQL+" WHERE name = ?"+cond+" ORDER BY id LIMIT 2", args...)
	if err != nil {
		return zero, l.s.d.dbError(err, "get "+l.kind)
	}
	list, err := collect(rows, l.scan, l.s.d, "get "+l.kind)
	if err != nil {
		return zero, err
	}
	switch len(list) {
	case 0:
		return zero, fmt.Errorf("%s %s could not be found: %w", l.kind, uuidOrName, errdefs.ErrNotFound)
	case 1:
		return list[0], nil
	default:
		return zero, fmt.Errorf(l.conflict+": %w", uuidOrName, errdefs.ErrConflict)
	}
}
