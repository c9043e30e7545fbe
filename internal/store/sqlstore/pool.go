package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// pool is a database handle with a cache of prepared statements, keyed by
// the query as written (with "?" placeholders).
type pool struct {
	db *sql.DB
	d  *dialect

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newSQLPool(ctx context.Context, driver, dsn string, d *dialect) (*pool, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &pool{db: db, d: d, stmts: make(map[string]*sql.Stmt)}, nil
}

func (p *pool) close() error {
	p.mu.Lock()
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	p.stmts = nil
	p.mu.Unlock()
	errs = append(errs, p.db.Close())
	return errors.Join(errs...)
}

// stmt returns the prepared statement of q, preparing it on first use.
// The lock is not held while preparing: that waits for a free connection,
// and transactions holding connections must still reach the cache.
func (p *pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := p.cached(q); ok {
		return st, nil
	}
	st, err := p.db.PrepareContext(ctx, p.d.rebind(q))
	if err != nil {
		return nil, err
	}
	// A statement closed under the lock would wait for the connections
	// it was prepared on, which transactions blocked on the lock hold.
	p.mu.Lock()
	if p.stmts == nil {
		p.mu.Unlock()
		_ = st.Close()
		return nil, errors.New("database is closed")
	}
	if prev, ok := p.stmts[q]; ok { // prepared concurrently
		p.mu.Unlock()
		_ = st.Close()
		return prev, nil
	}
	p.stmts[q] = st
	p.mu.Unlock()
	return st, nil
}

// row is a *sql.Row that may carry the error of preparing its statement.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

// querier runs cached statements, on the pool or inside a transaction.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (sql.Result, error)
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

func (p *pool) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p *pool) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p *pool) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}

// queryDynamic runs a query built at run time (not cached).
func (p *pool) queryDynamic(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, p.d.rebind(q), args...)
}

// cached returns the prepared statement of q if it is in the cache.
func (p *pool) cached(q string) (*sql.Stmt, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	st, ok := p.stmts[q]
	return st, ok
}

// tx is a write transaction running cached statements.
type tx struct {
	tx *sql.Tx
	p  *pool
	// uncached lists the queries prepared inside the transaction because
	// the cache lacked them; they are cached once it ends.
	uncached []string
}

// stmt returns q bound to the transaction. A statement missing from the
// cache is prepared on the transaction's own connection: preparing it in
// the pool would need a second connection, which may never come while
// every connection is held by transactions waiting for a lock this one
// holds (and SQLite's writer pool has one connection only).
func (t *tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.p.cached(q); ok {
		return t.tx.StmtContext(ctx, st), nil
	}
	t.uncached = append(t.uncached, q)
	return t.tx.PrepareContext(ctx, t.p.d.rebind(q))
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}

var (
	_ querier = (*pool)(nil)
	_ querier = (*tx)(nil)
)

// maxTxAttempts bounds the runs of a transaction that failed with a
// retryable error (PostgreSQL serialization failure or deadlock).
const maxTxAttempts = 5

// inTx runs fn in a write transaction and commits it. fn's error aborts the
// transaction and is returned unchanged. A retryable database error runs
// the whole transaction, fn included, again.
func (p *pool) inTx(ctx context.Context, fn func(t *tx) error) error {
	for attempt := 1; ; attempt++ {
		uncached, err := p.runTx(ctx, fn)
		// The connection is back in the pool: cache what was missing.
		for _, q := range uncached {
			_, _ = p.stmt(context.WithoutCancel(ctx), q)
		}
		if err == nil || !p.d.retryable(err) || attempt == maxTxAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("transaction aborted: %w", ctx.Err())
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
}

// runTx runs one attempt of inTx. It returns the queries that were
// missing from the statement cache.
func (p *pool) runTx(ctx context.Context, fn func(t *tx) error) (uncached []string, err error) {
	sqlTx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, p.d.dbError(err, "begin transaction")
	}
	defer func() {
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	t := &tx{tx: sqlTx, p: p}
	defer func() { uncached = t.uncached }()
	if err := fn(t); err != nil {
		return nil, err
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, p.d.dbError(err, "commit transaction")
	}
	return nil, nil
}

// now is the current time as stored: UTC with microsecond precision.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// norm gives t the stored precision and zone; the zero time stays zero.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// micros is the column value of t: microseconds since the epoch, 0 for the
// zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
