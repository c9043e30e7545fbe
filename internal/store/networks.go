package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/openzun/zun/internal/model"
)

// NetRecord is a record of the network service (model.Network, Subnet,
// Port, SecurityGroup, SecurityGroupRule, Router, FloatingIP).
type NetRecord interface {
	Meta() *model.NetMeta
}

// NetIndex are the columns a record is found by besides its ID, project
// and name.
type NetIndex struct {
	NetworkID string // subnets, ports; the group of a rule
	DeviceID  string // ports
	Host      string // ports (binding), routers (placement)
	// Public rows are readable by every project (shared or external
	// networks and their subnets).
	Public bool
}

// NetFilter narrows a list; empty fields match everything.
type NetFilter struct {
	ProjectID string
	Name      string
	NetworkID string
	DeviceID  string
	Host      string
}

// NetExcept leaves out of a count the records whose top-level JSON string
// attribute Attr (lower case letters and underscores; no nested object of
// the record may have one) starts with Prefix; the zero value leaves out
// none.
type NetExcept struct {
	Attr, Prefix string
}

// Networks stores the network service's records. Every method takes its
// scope from the context (zunctx.Scope): reads see the project's rows and
// the public ones, writes only the project's; a system context sees all.
// Another project's row is errdefs.ErrNotFound.
type Networks interface {
	// Read runs fn on a consistent view without writing.
	Read(ctx context.Context, fn func(r NetReader) error) error
	// Write runs fn in one transaction. Writes of the network service are
	// serialized: the transaction starts by bumping the global revision
	// (NetTx.Revision), so checks in fn (free addresses, overlaps, use
	// counts) hold until it commits. fn's error aborts everything and is
	// returned as is. Returns the revision written.
	Write(ctx context.Context, fn func(tx NetTx) error) (int64, error)
	// Revision returns the current revision (unscoped).
	Revision(ctx context.Context) (int64, error)
}

// NetReader reads records of one kind (model.Kind*).
type NetReader interface {
	// Get returns the JSON of the record. Missing or out of scope:
	// errdefs.ErrNotFound.
	Get(kind, id string) ([]byte, error)
	// List returns the JSON of the matching records, oldest first.
	List(kind string, f NetFilter) ([][]byte, error)
	// Count is the number of records List would return, less those
	// except names, without reading them.
	Count(kind string, f NetFilter, except NetExcept) (int64, error)
}

// NetTx is a write transaction of the network service.
type NetTx interface {
	NetReader
	// Revision is the revision this transaction writes.
	Revision() int64
	// Put inserts or replaces (by ID) a record; an ID of another project
	// is errdefs.ErrNotFound. It sets CreatedAt (insert), UpdatedAt and
	// RevisionNumber.
	Put(kind string, r NetRecord, ix NetIndex) error
	// Delete removes a record. Missing: errdefs.ErrNotFound.
	Delete(kind, id string) error
	// ListAll is List without scope, for integrity checks (ports of every
	// project on a network about to be deleted, members of a group).
	ListAll(kind string, f NetFilter) ([][]byte, error)
	// CountAll is Count without scope (quota checks).
	CountAll(kind string, f NetFilter, except NetExcept) (int64, error)
	// UsedIPs lists the addresses allocated in a subnet.
	UsedIPs(subnetID string) ([]string, error)
	// UseIP allocates ip of subnetID to portID; an address already held is
	// errdefs.ErrAlreadyExists.
	UseIP(networkID, subnetID, ip, portID string) error
	// ReleaseIP frees one address of a port; ReleaseIPs every address of
	// it.
	ReleaseIP(subnetID, ip string) error
	ReleaseIPs(portID string) error
	// UseMAC reserves mac in networkID for portID (unique per network:
	// errdefs.ErrAlreadyExists); ReleaseMACs frees the port's.
	UseMAC(networkID, mac, portID string) error
	ReleaseMACs(portID string) error
	// AllocateVNI reserves the lowest free segment in [lo, hi] for
	// networkID (none free: errdefs.ErrConflict); ReserveVNI a given one
	// (taken: errdefs.ErrAlreadyExists); ReleaseVNI frees the network's.
	AllocateVNI(networkID string, lo, hi int) (int, error)
	ReserveVNI(networkID string, vni int) error
	ReleaseVNI(networkID string) error
}

// GetNet decodes the record kind/id into a new T.
func GetNet[T any](r NetReader, kind, id string) (*T, error) {
	b, err := r.Get(kind, id)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("failed to decode %s %s: %w", kind, id, err)
	}
	return v, nil
}

// ListNet decodes the records of kind matching f.
func ListNet[T any](r NetReader, kind string, f NetFilter) ([]*T, error) {
	raw, err := r.List(kind, f)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(raw))
	for _, b := range raw {
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("failed to decode %s: %w", kind, err)
		}
		out = append(out, v)
	}
	return out, nil
}
