package netplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Config says which namespace the plane manages and how the host is wired.
type Config struct {
	// NetNS is the path of the network namespace to manage: bridges,
	// VXLAN devices, host ends of veths, filter tables ("" = the process's
	// own). Tests run several "hosts" in one process this way.
	NetNS string
	// HostNetNS is the namespace of the Docker engine and the underlay
	// ("" = the process's own). When it differs from NetNS, port peers are
	// created there for Docker to move, VXLAN devices are created there
	// (their tunnel sockets stay on the underlay) and moved into NetNS, and
	// the host reaches the external bridge through a veth named after it.
	// A data plane namespace of its own keeps bridged tenant traffic out of
	// the host's iptables FORWARD chain, whose policy Docker sets to DROP.
	HostNetNS string
	// TunnelIP is the local VXLAN endpoint address (the agent's --tunnel-ip).
	TunnelIP string
	// PhysicalBridges maps physical networks to host bridges
	// (public -> zun-ex).
	PhysicalBridges map[string]string
	// ExternalHostCIDR is the host's address on the physical bridge whose
	// network contains it, e.g. 172.24.4.1/24 (empty: none).
	ExternalHostCIDR string
	// RouterNSPrefix names router namespaces (default "zrouter-"); the
	// plane removes only namespaces with this prefix, so tests that run
	// several planes on one machine give each its own.
	RouterNSPrefix string
}

// PortDevices is what the Docker network plugin hands to the engine for a
// port: the veth pair and the addressing of the container end.
type PortDevices struct {
	HostIf    string         // host end, in the network's bridge
	PeerIf    string         // container end, left in the host namespace
	Bridge    string         // the bridge the host end is in
	MAC       string         // the port's MAC, set on PeerIf
	IPs       []netip.Prefix // the port's addresses with their subnets' prefix lengths
	Gateway   string         // IPv4 gateway of the port's subnet ("" if none)
	GatewayV6 string         // IPv6 gateway ("" if none)
	MTU       int
}

// Plane owns the networking of one host namespace.
type Plane struct {
	cfg       Config
	log       *slog.Logger
	tunnelIP  net.IP
	extPrefix netip.Prefix // the host's external address, if any

	mu       sync.Mutex
	nl       *netlink.Handle // the managed namespace
	hnl      *netlink.Handle // the host namespace (== nl when not split)
	split    bool
	dpFd     int    // the managed namespace, for moving devices into it
	hostNsFd int    // the host namespace, for creating port peers there
	last     *index // last applied state (nil before the first Apply)
	tuned    map[string]bool
	nftCache map[string]nftApplied // by namespace path and tables
	nftGen   map[string]uint32     // by namespace path: its generation as we last knew it
	ruleSigs map[string]string     // each filtered port's rules, last applied
	// groupMembers is each security group's member addresses, last applied.
	groupMembers map[string][]string
}

// nftApplied remembers the ruleset text we loaded into a namespace, so an
// unchanged sync costs one netlink round trip (the generation) instead of
// a load or a listing of the ruleset.
type nftApplied struct {
	ns, script string
	loaded     time.Time
	// stale: another writer committed in the namespace since our load, so
	// the kernel may no longer hold what script produced.
	stale bool
}

// New opens the namespace to manage. It changes nothing until Apply.
func New(cfg Config, log *slog.Logger) (*Plane, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.RouterNSPrefix == "" {
		cfg.RouterNSPrefix = defaultNSPrefix
	}
	if err := validID(cfg.RouterNSPrefix + "x"); err != nil || len(cfg.RouterNSPrefix) > 24 {
		return nil, fmt.Errorf("router namespace prefix %q: %w", cfg.RouterNSPrefix, errdefs.ErrInvalidArgument)
	}
	p := &Plane{cfg: cfg, log: log, tuned: map[string]bool{}, nftCache: map[string]nftApplied{}, nftGen: map[string]uint32{}, ruleSigs: map[string]string{}}
	if cfg.TunnelIP != "" {
		a, err := netip.ParseAddr(cfg.TunnelIP)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("tunnel ip %q: %w", cfg.TunnelIP, errdefs.ErrInvalidArgument)
		}
		p.tunnelIP = net.IP(a.AsSlice())
	}
	if cfg.ExternalHostCIDR != "" {
		pre, err := netip.ParsePrefix(cfg.ExternalHostCIDR)
		if err != nil {
			return nil, fmt.Errorf("external host cidr %q: %w", cfg.ExternalHostCIDR, errdefs.ErrInvalidArgument)
		}
		p.extPrefix = pre
	}
	for phys, br := range cfg.PhysicalBridges {
		if phys == "" || validID(br) != nil || len(br) > 15 || ours(br) {
			return nil, fmt.Errorf("physical bridge %q=%q: %w", phys, br, errdefs.ErrInvalidArgument)
		}
	}
	var err error
	if p.nl, p.dpFd, err = openHandle(cfg.NetNS); err != nil {
		return nil, err
	}
	p.hnl, p.hostNsFd = p.nl, p.dpFd
	if cfg.NetNS != cfg.HostNetNS {
		hnl, fd, err := openHandle(cfg.HostNetNS)
		if err != nil {
			p.nl.Close()
			unix.Close(p.dpFd)
			return nil, err
		}
		if sameFile(fd, p.dpFd) { // two paths of one namespace
			hnl.Close()
			unix.Close(fd)
		} else {
			p.hnl, p.hostNsFd, p.split = hnl, fd, true
		}
	}
	return p, nil
}

func sameFile(a, b int) bool {
	var sa, sb unix.Stat_t
	return unix.Fstat(a, &sa) == nil && unix.Fstat(b, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// openHandle opens netlink in a namespace, with a descriptor of it.
func openHandle(path string) (*netlink.Handle, int, error) {
	var ns netns.NsHandle
	var err error
	if path == "" {
		ns, err = netns.GetFromPath(fmt.Sprintf("/proc/%d/ns/net", os.Getpid()))
	} else {
		ns, err = netns.GetFromPath(path)
	}
	if err != nil {
		return nil, -1, fmt.Errorf("failed to open netns %q: %w", path, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, -1, fmt.Errorf("failed to open netlink in %q: %w", path, err)
	}
	return h, int(ns), nil
}

// Close releases the netlink handle; the kernel state stays.
func (p *Plane) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nl != nil {
		if p.split {
			p.hnl.Close()
			unix.Close(p.hostNsFd)
		}
		unix.Close(p.dpFd)
		p.nl.Close()
		p.nl, p.hnl = nil, nil
	}
}

// Revision is that of the last applied state (-1 before the first Apply).
func (p *Plane) Revision() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		return -1
	}
	return p.last.state.Revision
}

// Apply makes the namespace match st: it creates, fixes and removes
// bridges, VXLAN devices, forwarding entries, port veths, filter rules and
// routers so that exactly what st names exists. It is idempotent and
// converges from any partial state. A state older than the last applied one
// is ignored. Invalid records are skipped and reported in the error; the
// rest is applied.
func (p *Plane) Apply(ctx context.Context, st model.HostNetworkState) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nl == nil {
		return fmt.Errorf("netplane closed: %w", errdefs.ErrFailedPrecondition)
	}
	if p.last != nil && st.Revision < p.last.state.Revision {
		p.log.Debug("skipping stale network state", "revision", st.Revision, "applied", p.last.state.Revision)
		return nil
	}
	ix, verr := buildIndex(st)
	if verr != nil {
		p.log.Warn("network state has invalid records, skipping them", "revision", st.Revision, "err", verr)
	}
	// Each step is timed: the apply sits on a container create's path
	// (the plugin's CreateEndpoint waits for it), so its cost is visible
	// in the debug log per step.
	var errs []error
	var took []any
	step := func(name string, fn func() error) {
		start := time.Now()
		if err := fn(); err != nil {
			errs = append(errs, err)
		}
		took = append(took, name, time.Since(start).Round(10*time.Microsecond))
	}
	step("links", func() error { return p.syncLinks(ix) })
	step("fdb", func() error { return p.syncFDB(ix) })
	step("routers", func() error { return p.syncRouters(ctx, ix) })
	step("filter", func() error { return p.syncFilter(ctx, ix) })
	p.last = ix
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("failed to apply network state %d: %w", st.Revision, errors.Join(err, verr))
	}
	if verr != nil {
		return fmt.Errorf("network state %d: %w: %w", st.Revision, errdefs.ErrInvalidArgument, verr)
	}
	p.log.Debug("applied network state", append([]any{"revision", st.Revision, "ports", len(ix.ports), "routers", len(ix.routers)}, took...)...)
	return nil
}
