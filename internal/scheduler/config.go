package scheduler

import (
	"fmt"
	"slices"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/scheduler/filters"
	"github.com/openzun/zun/internal/scheduler/weighers"
)

// Defaults of the cache lifetimes.
const (
	DefaultSnapshotTTL  = time.Second
	DefaultInventoryTTL = 10 * time.Second
	// DefaultClaimBatch is the most claims committed in one transaction.
	DefaultClaimBatch = 64
)

// Config configures a Scheduler. Zero fields take the defaults.
type Config struct {
	// Filters are filter names in evaluation order; empty means
	// filters.DefaultNames(). Cheap, selective filters should come first.
	Filters []string
	// Weigher is "spread" (default) or "binpack".
	Weigher string
	// DefaultAZ is the zone used when a request names none (Zun's
	// default_schedule_zone); empty means any zone.
	DefaultAZ string
	// DefaultAvailabilityZone is the zone of a service that reports none
	// (Zun's default_availability_zone); empty means "nova".
	DefaultAvailabilityZone string
	// ServiceDownTime is the heartbeat age after which a compute service
	// is down; 0 means 180s.
	ServiceDownTime time.Duration
	// SnapshotTTL is how long the cached snapshot is reused before it is
	// reloaded from the Source; 0 means DefaultSnapshotTTL.
	SnapshotTTL time.Duration
	// InventoryTTL is how long the node and service lists are reused
	// across snapshot refreshes (usage is re-read at every refresh);
	// 0 means DefaultInventoryTTL, and it is never below SnapshotTTL.
	// Invalidate forces a full reload.
	InventoryTTL time.Duration
	// Search bounds and number of claim attempts per snapshot.
	Select SelectOptions
	// ClaimBatch is the most claims of concurrent Schedule calls that are
	// committed together when the Claimer is a BatchClaimer; 0 means
	// DefaultClaimBatch, 1 claims one by one.
	ClaimBatch int
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if len(c.Filters) == 0 {
		c.Filters = filters.DefaultNames()
	} else {
		c.Filters = slices.Clone(c.Filters)
	}
	if c.Weigher == "" {
		c.Weigher = weighers.Default
	}
	if c.DefaultAvailabilityZone == "" {
		c.DefaultAvailabilityZone = filters.DefaultAvailabilityZone
	}
	if c.ServiceDownTime <= 0 {
		c.ServiceDownTime = filters.DefaultServiceDownTime
	}
	if c.SnapshotTTL <= 0 {
		c.SnapshotTTL = DefaultSnapshotTTL
	}
	if c.InventoryTTL <= 0 {
		c.InventoryTTL = DefaultInventoryTTL
	}
	c.InventoryTTL = max(c.InventoryTTL, c.SnapshotTTL)
	if c.ClaimBatch == 0 {
		c.ClaimBatch = DefaultClaimBatch
	}
	c.Select = c.Select.withDefaults()
	return c
}

// Validate reports an unknown filter or weigher name as
// errdefs.ErrInvalidArgument.
func (c Config) Validate() error {
	_, _, err := c.withDefaults().build()
	return err
}

func (c Config) build() ([]Filter, []Weigher, error) {
	fs, err := filters.Build(c.Filters, filters.Options{
		DefaultScheduleZone:     c.DefaultAZ,
		DefaultAvailabilityZone: c.DefaultAvailabilityZone,
		ServiceDownTime:         c.ServiceDownTime,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("invalid scheduler config: %w", err)
	}
	w, err := weighers.ByName(c.Weigher)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid scheduler config: %w", err)
	}
	if c.Select.Candidates > 100 {
		return nil, nil, fmt.Errorf("invalid scheduler config: %d claim candidates is more than 100: %w", c.Select.Candidates, errdefs.ErrInvalidArgument)
	}
	if c.ClaimBatch < 0 || c.ClaimBatch > 1000 {
		return nil, nil, fmt.Errorf("invalid scheduler config: claim batch %d is not within 1 to 1000: %w", c.ClaimBatch, errdefs.ErrInvalidArgument)
	}
	return fs, []Weigher{w}, nil
}
