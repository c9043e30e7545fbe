package schedcore

// Filter removes hosts that cannot take a request. Pass must be pure and
// cheap: it runs for thousands of hosts per decision, must not allocate,
// must not block and must not read the clock (HostState.Now is the time).
type Filter interface {
	// Name is the configuration name, e.g. "RamFilter".
	Name() string
	// Pass reports whether h can take r.
	Pass(h *HostState, r *Request) bool
}

// Weigher ranks the hosts that passed every filter; higher is better.
// Weights should lie in [0, 1] so that weighers can be summed.
type Weigher interface {
	// Name is the configuration name, e.g. "spread".
	Name() string
	// Weight scores h for r.
	Weight(h *HostState, r *Request) float64
}
