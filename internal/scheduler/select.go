package scheduler

import "math/rand/v2"

// Defaults of SelectOptions.
const (
	DefaultMinFeasible     = 50
	DefaultFeasiblePercent = 5
	DefaultCandidates      = 3
)

// SelectOptions tunes Select. Zero fields take the defaults.
type SelectOptions struct {
	// MinFeasible and FeasiblePercent bound the search: Select stops once
	// it has found max(MinFeasible, FeasiblePercent% of the hosts) feasible
	// hosts. A percent of 100 makes the search exhaustive.
	MinFeasible     int
	FeasiblePercent int
	// Candidates is how many ranked hosts Select returns at most (the
	// claim attempts before a refresh).
	Candidates int
}

func (o SelectOptions) withDefaults() SelectOptions {
	if o.MinFeasible <= 0 {
		o.MinFeasible = DefaultMinFeasible
	}
	if o.FeasiblePercent <= 0 {
		o.FeasiblePercent = DefaultFeasiblePercent
	}
	if o.FeasiblePercent > 100 {
		o.FeasiblePercent = 100
	}
	if o.Candidates <= 0 {
		o.Candidates = DefaultCandidates
	}
	return o
}

// feasibleToFind returns how many feasible hosts end the search among n.
func (o SelectOptions) feasibleToFind(n int) int {
	return min(n, max(o.MinFeasible, n*o.FeasiblePercent/100))
}

// Pinner is implemented by a filter that confines a request to one named
// host (RequestedHostFilter). Select then looks that host up directly
// instead of scanning the snapshot.
type Pinner interface {
	PinnedHost(r *Request) string
}

// Select returns up to DefaultCandidates hosts of snap that pass every
// filter, best first, using the default search bounds. See SelectWith.
func Select(snap *Snapshot, r *Request, filters []Filter, weighers []Weigher, rng *rand.Rand) []*HostState {
	return SelectWith(snap, r, filters, weighers, rng, SelectOptions{})
}

// SelectWith returns up to o.Candidates hosts of snap that pass every filter
// and are not known to be full (HostState.KnownFull), ranked by the sum of
// the weighers, best first. Hosts are visited from a random offset drawn
// from rng and the visit stops after o's bound of feasible hosts, so equal
// hosts are picked at random. It reads snap and never changes it; the only
// allocations are the result and the ranking buffer.
func SelectWith(snap *Snapshot, r *Request, filters []Filter, weighers []Weigher, rng *rand.Rand, o SelectOptions) []*HostState {
	if snap == nil || r == nil || len(snap.Hosts) == 0 {
		return nil
	}
	o = o.withDefaults()
	for _, f := range filters {
		if p, ok := f.(Pinner); ok {
			if name := p.PinnedHost(r); name != "" {
				h := snap.Host(name)
				if h == nil || !feasible(h, r, filters) {
					return nil
				}
				return []*HostState{h}
			}
		}
	}

	n := len(snap.Hosts)
	want := o.feasibleToFind(n)
	top := make([]ranked, 0, o.Candidates)
	i := rng.IntN(n)
	for seen, found := 0, 0; seen < n && found < want; seen++ {
		h := snap.Hosts[i]
		if i++; i == n {
			i = 0
		}
		if !feasible(h, r, filters) {
			continue
		}
		found++
		top = insert(top, ranked{h, weigh(h, r, weighers)})
	}
	out := make([]*HostState, len(top))
	for j, c := range top {
		out[j] = c.host
	}
	return out
}

type ranked struct {
	host   *HostState
	weight float64
}

func feasible(h *HostState, r *Request, filters []Filter) bool {
	if h.KnownFull(r) {
		return false
	}
	for _, f := range filters {
		if !f.Pass(h, r) {
			return false
		}
	}
	return true
}

func weigh(h *HostState, r *Request, weighers []Weigher) float64 {
	var w float64
	for _, x := range weighers {
		w += x.Weight(h, r)
	}
	return w
}

// insert keeps top sorted best first and within its capacity. On equal
// weights the host found first stays ahead, so the random start offset
// breaks ties.
func insert(top []ranked, c ranked) []ranked {
	if len(top) == cap(top) {
		if c.weight <= top[len(top)-1].weight {
			return top
		}
		top = top[:len(top)-1]
	}
	j := len(top)
	top = append(top, c)
	for j > 0 && top[j-1].weight < c.weight {
		top[j] = top[j-1]
		j--
	}
	top[j] = c
	return top
}
