package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// actions implements store.Actions. The caller checks the container's
// scope; actions outlive their container like Zun's.
type actions struct{ s *Store }

var _ store.Actions = (*actions)(nil)

const actionCols = "id, container_uuid, action, request_id, user_id, project_id, start_time, finish_time, message"

func scanAction(sc scanner) (*model.Action, error) {
	var (
		a             model.Action
		start, finish int64
	)
	if err := sc.Scan(&a.ID, &a.ContainerUUID, &a.Action, &a.RequestID, &a.UserID, &a.ProjectID,
		&start, &finish, &a.Message); err != nil {
		return nil, err
	}
	a.StartTime, a.FinishTime = fromMicros(start), fromMicros(finish)
	return &a, nil
}

func notFoundAction(containerUUID, requestID string) error {
	return fmt.Errorf("action %s of container %s could not be found: %w", requestID, containerUUID, errdefs.ErrNotFound)
}

const upsertEvent = `INSERT INTO action_events (action_id, event, start_time, finish_time, result, traceback)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (action_id, event) DO UPDATE SET
        start_time = CASE WHEN action_events.start_time = 0 THEN excluded.start_time ELSE action_events.start_time END,
        finish_time = excluded.finish_time,
        result = excluded.result,
        traceback = excluded.traceback`

// Start records a with its events, if any. (container, request id) is
// unique: ErrAlreadyExists.
func (as *actions) Start(ctx context.Context, a *model.Action) error {
	if a.ContainerUUID == "" || a.RequestID == "" {
		return fmt.Errorf("action needs a container and a request id: %w", errdefs.ErrInvalidArgument)
	}
	a.StartTime, a.FinishTime = norm(a.StartTime), norm(a.FinishTime)
	if a.StartTime.IsZero() {
		a.StartTime = now()
	}
	return as.s.write.inTx(ctx, func(t *tx) error {
		err := t.queryRow(ctx, `INSERT INTO container_actions
            (container_uuid, action, request_id, user_id, project_id, start_time, finish_time, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.ContainerUUID, a.Action, a.RequestID, a.UserID, a.ProjectID, micros(a.StartTime), micros(a.FinishTime),
			a.Message).Scan(&a.ID)
		if err != nil {
			if as.s.d.classify(err) == errdefs.ErrAlreadyExists {
				return fmt.Errorf("action %s of container %s already exists: %w", a.RequestID, a.ContainerUUID, errdefs.ErrAlreadyExists)
			}
			return as.s.d.dbError(err, "record action")
		}
		for i := range a.Events {
			if err := as.putEvent(ctx, t, a.ID, &a.Events[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (as *actions) putEvent(ctx context.Context, t *tx, actionID int64, e *model.Event) error {
	if e.Event == "" {
		return fmt.Errorf("event has no name: %w", errdefs.ErrInvalidArgument)
	}
	e.StartTime, e.FinishTime = norm(e.StartTime), norm(e.FinishTime)
	if _, err := t.exec(ctx, upsertEvent, actionID, e.Event, micros(e.StartTime), micros(e.FinishTime), e.Result, e.Traceback); err != nil {
		return as.s.d.dbError(err, "record action event")
	}
	return nil
}

func (as *actions) Finish(ctx context.Context, containerUUID, requestID string, finish time.Time, message string) error {
	_, err := as.s.write.exec(ctx, "UPDATE container_actions SET finish_time = ?, message = ? WHERE container_uuid = ? AND request_id = ?",
		micros(norm(finish)), message, containerUUID, requestID)
	if err != nil {
		return as.s.d.dbError(err, "finish action")
	}
	return nil
}

func (as *actions) AddEvent(ctx context.Context, containerUUID, requestID string, e model.Event) error {
	return as.s.write.inTx(ctx, func(t *tx) error {
		var id int64
		err := t.queryRow(ctx, "SELECT id FROM container_actions WHERE container_uuid = ? AND request_id = ?",
			containerUUID, requestID).Scan(&id)
		if isNoRows(err) {
			return notFoundAction(containerUUID, requestID)
		}
		if err != nil {
			return as.s.d.dbError(err, "get action")
		}
		return as.putEvent(ctx, t, id, &e)
	})
}

// List lists a container's actions, newest first, without events.
func (as *actions) List(ctx context.Context, containerUUID string) ([]*model.Action, error) {
	rows, err := as.s.read.query(ctx, "SELECT "+actionCols+" FROM container_actions WHERE container_uuid = ? ORDER BY start_time DESC, id DESC",
		containerUUID)
	if err != nil {
		return nil, as.s.d.dbError(err, "list actions")
	}
	defer rows.Close()
	var list []*model.Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, as.s.d.dbError(err, "list actions")
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, as.s.d.dbError(err, "list actions")
	}
	return list, nil
}

// Get returns one action with its events in start order.
func (as *actions) Get(ctx context.Context, containerUUID, requestID string) (*model.Action, error) {
	a, err := scanAction(as.s.read.queryRow(ctx, "SELECT "+actionCols+" FROM container_actions WHERE container_uuid = ? AND request_id = ?",
		containerUUID, requestID))
	if isNoRows(err) {
		return nil, notFoundAction(containerUUID, requestID)
	}
	if err != nil {
		return nil, as.s.d.dbError(err, "get action")
	}
	rows, err := as.s.read.query(ctx, "SELECT event, start_time, finish_time, result, traceback FROM action_events WHERE action_id = ? ORDER BY start_time, id", a.ID)
	if err != nil {
		return nil, as.s.d.dbError(err, "list action events")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e             model.Event
			start, finish int64
		)
		if err := rows.Scan(&e.Event, &start, &finish, &e.Result, &e.Traceback); err != nil {
			return nil, as.s.d.dbError(err, "list action events")
		}
		e.StartTime, e.FinishTime = fromMicros(start), fromMicros(finish)
		a.Events = append(a.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, as.s.d.dbError(err, "list action events")
	}
	return a, nil
}
