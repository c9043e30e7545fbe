// Package filters holds Zun's host filters, one small type per file, each
// implementing schedcore.Filter. They read only the HostState and Request
// they are given: no store, no clock (HostState.Now), no allocation.
//
// ByName builds a filter from its configuration name (the names of Zun's
// zun.scheduler.filters classes). It imports only schedcore and
// internal/model.
package filters
