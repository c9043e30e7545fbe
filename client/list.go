package client

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// ListOptions are the paging parameters shared by list calls.
type ListOptions struct {
	// Marker is the UUID of the last item of the previous page.
	Marker string
	// Limit is the page size; with All it is also the total wanted.
	Limit int
	// SortKey and SortDir ("asc" or "desc") order the results.
	SortKey string
	SortDir string
	// All follows the "next" links until the server reports no more
	// pages, or until Limit items are collected when Limit > 0.
	All bool
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Marker != "" {
		q.Set("marker", o.Marker)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.SortKey != "" {
		q.Set("sort_key", o.SortKey)
	}
	if o.SortDir != "" {
		q.Set("sort_dir", o.SortDir)
	}
	return q
}

// collect fetches one page, or every page when o.All, through get. It
// returns the items and the next link left unfollowed.
func collect[T any](ctx context.Context, q url.Values, o ListOptions,
	get func(ctx context.Context, q url.Values) ([]T, string, error)) ([]T, string, error) {
	var all []T
	for {
		items, next, err := get(ctx, q)
		if err != nil {
			return nil, "", err
		}
		all = append(all, items...)
		if o.Limit > 0 && len(all) >= o.Limit && o.All {
			return all[:o.Limit], next, nil
		}
		if !o.All || next == "" || len(items) == 0 {
			return all, next, nil
		}
		// Reissue the next link's query on our own endpoint: the host in
		// "next" is the server's view and may not be reachable from here.
		u, err := url.Parse(next)
		if err != nil {
			return nil, "", fmt.Errorf("failed to parse next link %q: %w", next, err)
		}
		q = u.Query()
	}
}

func setBool(q url.Values, key string, v bool) {
	if v {
		q.Set(key, "true")
	}
}

func setStr(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}
