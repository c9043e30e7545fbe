package identity

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/openzun/zun/internal/errdefs"
)

// listFilter holds the query filters Keystone's list calls accept:
// ?name=, ?domain_id= and ?enabled=.
type listFilter struct {
	name    *string
	domain  *string
	enabled *bool
}

func parseListFilter(r *http.Request) (listFilter, error) {
	q := r.URL.Query()
	var f listFilter
	if q.Has("name") {
		v := q.Get("name")
		f.name = &v
	}
	if q.Has("domain_id") {
		v := q.Get("domain_id")
		f.domain = &v
	}
	if q.Has("enabled") {
		// Keystone reads "0" and "false" (any case) as false, the rest as
		// true, an empty value included.
		v := strings.TrimSpace(q.Get("enabled"))
		b := true
		if v != "" {
			parsed, err := strconv.ParseBool(strings.ToLower(v))
			if err != nil {
				return f, newAPIError(errdefs.ErrInvalidArgument, "Invalid input for field 'enabled': expected a boolean.")
			}
			b = parsed
		}
		f.enabled = &b
	}
	return f, nil
}

// match reports whether a record of domainID passes every filter.
func (f listFilter) match(name, domainID string, enabled bool) bool {
	return (f.name == nil || *f.name == name) &&
		(f.domain == nil || *f.domain == domainID) &&
		(f.enabled == nil || *f.enabled == enabled)
}
