package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
	"github.com/openzun/zun/internal/zunctx"
)

// getNet is store.GetNet with Neutron's not-found error.
func getNet[T any](r store.NetReader, kind, id string) (*T, error) {
	v, err := store.GetNet[T](r, kind, id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, notFound(kind, id)
	}
	return v, err
}

// getOwn reads a record the caller may change: its project's (or any for
// an unscoped caller). A public record of another project is not found,
// as Neutron answers.
func getOwn[T any, PT interface {
	*T
	store.NetRecord
}](r store.NetReader, ctx context.Context, kind, id string) (PT, error) {
	v, err := getNet[T](r, kind, id)
	if err != nil {
		return nil, err
	}
	p := PT(v)
	project, all, err := zunctx.Scope(ctx)
	if err != nil {
		return nil, err
	}
	if !all && p.Meta().ProjectID != project {
		return nil, notFound(kind, id)
	}
	return p, nil
}

func decodeAll[T any](raw [][]byte) ([]*T, error) {
	out := make([]*T, 0, len(raw))
	for _, b := range raw {
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("failed to decode record: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// deleteAny deletes a record whatever its project (integrity cleanup the
// caller's rights already cover, e.g. the subnets of a deleted network).
func deleteAny(tx store.NetTx, kind, id string) error {
	return tx.Delete(kind, id)
}

// caller returns the caller's project and whether it sees all projects.
func caller(ctx context.Context) (string, bool, error) { return zunctx.Scope(ctx) }

var _ = model.KindNetwork

// readOne reads one record of kind the caller may see, in its own read.
func readOne[T any](ctx context.Context, s *Service, kind, id string) (*T, error) {
	var v *T
	err := s.st.Read(ctx, func(r store.NetReader) (err error) {
		v, err = getNet[T](r, kind, id)
		return err
	})
	return v, err
}

// readList lists the records of kind the caller may see that match f.
func readList[T any](ctx context.Context, s *Service, kind string, f store.NetFilter) ([]*T, error) {
	var out []*T
	err := s.st.Read(ctx, func(r store.NetReader) (err error) {
		out, err = store.ListNet[T](r, kind, f)
		return err
	})
	return out, err
}
