package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
)

// dialect holds what differs between the SQL databases. Queries are
// written with "?" placeholders and rebound once when prepared.
type dialect struct {
	name string
	// dollar rebinds "?" to "$1", "$2", ...
	dollar bool
	// idType is the column type of an auto-incrementing primary key.
	idType string
	// forUpdate is appended to a SELECT that must lock the rows it reads
	// until the transaction ends. SQLite needs none: its write
	// transactions are immediate and exclusive.
	forUpdate string
	// jsonNumber is an expression giving the number at key %[1]s of the
	// data column's JSON, 0 when absent (migration token {{JSON_NUM:key}}).
	jsonNumber string
	// dataContains is a condition: the data column's text contains the
	// next placeholder's.
	dataContains string
	// setJSONHost is an expression giving the data column with $.host set
	// to the next placeholder.
	setJSONHost string
	// migrationLock and migrationUnlock serialize migrations of several
	// processes starting at once ("" when the database does it anyway).
	migrationLock, migrationUnlock string
	// classify maps a driver error to an errdefs category, or nil.
	classify func(error) error
	// retryable reports errors after which a whole transaction may be
	// run again (serialization failures, deadlocks).
	retryable func(error) bool
}

// rebind rewrites the "?" placeholders of q for d. Quoted literals are
// skipped.
func (d *dialect) rebind(q string) string {
	if !d.dollar || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

var jsonNumToken = regexp.MustCompile(`\{\{JSON_NUM:([a-z_]+)\}\}`)

// migrationSQL replaces the dialect tokens of a migration.
func (d *dialect) migrationSQL(q string) string {
	q = jsonNumToken.ReplaceAllStringFunc(q, func(tok string) string {
		return fmt.Sprintf(d.jsonNumber, jsonNumToken.FindStringSubmatch(tok)[1])
	})
	return strings.ReplaceAll(q, "{{ID}}", d.idType)
}

// dbError turns err of an operation described by what into a categorized
// error. Errors of a known category keep only the category (the driver's
// text names tables and constraints, not for users); others are wrapped.
func (d *dialect) dbError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, errdefs.ErrNotFound)
	}
	if cat := d.classify(err); cat != nil {
		if d.retryable(err) {
			// Keep the driver error so the transaction can be retried.
			return fmt.Errorf("%s: %w: %w", what, cat, err)
		}
		if errors.Is(cat, errdefs.ErrUnavailable) {
			return fmt.Errorf("%s: the database is unavailable, try again later: %w", what, cat)
		}
		return fmt.Errorf("%s: %w", what, cat)
	}
	return fmt.Errorf("failed to %s: %w", what, err)
}
