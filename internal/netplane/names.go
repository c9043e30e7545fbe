package netplane

import (
	"fmt"
	"strings"
)

// Device name prefixes. Linux interface names are at most 15 bytes.
const (
	bridgePrefix    = "zbr-"  // tenant network bridge
	vxlanPrefix     = "zvx-"  // tenant network VXLAN device
	tapPrefix       = "ztap"  // host end of a container port's veth
	peerPrefix      = "zpeer" // container end, before Docker moves it
	routerIfPrefix  = "zqr-"  // router's tenant interface (in the router netns)
	routerGwPrefix  = "zqg-"  // router's gateway interface (in the router netns)
	routerIfHost    = "zhr-"  // host end of a router tenant interface
	routerGwHost    = "zhg-"  // host end of a router gateway interface
	uplinkPrefix    = "zhx-"  // data plane end of the host's external uplink
	defaultNSPrefix = "zrouter-"
)

func bridgeName(networkID string) string { return bridgePrefix + head(networkID, 11) }
func vxlanName(networkID string) string  { return vxlanPrefix + head(networkID, 11) }
func tapName(portID string) string       { return tapPrefix + head(portID, 11) }
func peerName(portID string) string      { return peerPrefix + head(portID, 10) }

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// validID reports whether an ID is safe to embed in interface, namespace
// and nftables names: letters, digits, '-' and '_' only.
func validID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("invalid id %q", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("invalid id %q", id)
		}
	}
	return nil
}

// ours reports whether a host-namespace link name is one the plane manages.
func ours(name string) bool {
	for _, p := range []string{bridgePrefix, vxlanPrefix, tapPrefix, peerPrefix, routerIfHost, routerGwHost} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
