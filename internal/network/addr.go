package network

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"strings"
)

// parseCIDR parses a subnet CIDR and insists on its canonical form (no
// host bits), as Neutron does.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, badRequest("Invalid input for cidr. Reason: '%s' is not a valid IP subnet.", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, badRequest("Invalid input for cidr. Reason: '%s' isn't a recognized IP subnet cidr, '%s' is recommended.", s, p.Masked())
	}
	return p, nil
}

func parseIP(field, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, badRequest("Invalid input for %s. Reason: '%s' is not a valid IP address.", field, s)
	}
	return a.Unmap(), nil
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 7; j >= 0; j-- {
			if i*8+(7-j) >= bits {
				b[i] |= 1 << j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// defaultPool is Neutron's pool of a subnet: every host address but the
// gateway (IPv4 without network and broadcast addresses). It may be two
// ranges around the gateway.
func defaultPool(p netip.Prefix, gw netip.Addr) []ipRange {
	first, last := p.Addr().Next(), lastAddr(p)
	if p.Addr().Is4() {
		last = last.Prev()
	}
	if p.Addr().Is4() && p.Bits() >= 31 {
		first, last = p.Addr(), lastAddr(p)
	}
	if last.Less(first) {
		return nil
	}
	if !gw.IsValid() || gw.Less(first) || last.Less(gw) {
		return []ipRange{{first, last}}
	}
	var out []ipRange
	if first.Less(gw) {
		out = append(out, ipRange{first, gw.Prev()})
	}
	if gw.Less(last) {
		out = append(out, ipRange{gw.Next(), last})
	}
	return out
}

type ipRange struct{ start, end netip.Addr }

func (r ipRange) contains(a netip.Addr) bool { return !a.Less(r.start) && !r.end.Less(a) }

func (r ipRange) overlaps(o ipRange) bool { return !r.end.Less(o.start) && !o.end.Less(r.start) }

// randomMAC draws a locally administered unicast MAC with Neutron's
// fa:16:3e prefix.
func randomMAC() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2])
}

// normMAC checks and lower-cases a MAC given by a user: a unicast
// address, not all zeros.
func normMAC(s string) (string, error) {
	s = strings.ToLower(s)
	var b [6]byte
	if n, err := fmt.Sscanf(s, "%02x:%02x:%02x:%02x:%02x:%02x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]); err != nil || n != 6 || len(s) != 17 {
		return "", badRequest("Invalid input for mac_address. Reason: '%s' is not a valid MAC address.", s)
	}
	if b[0]&1 == 1 || b == [6]byte{} {
		return "", badRequest("Invalid input for mac_address. Reason: '%s' is not a valid unicast MAC address.", s)
	}
	return s, nil
}
