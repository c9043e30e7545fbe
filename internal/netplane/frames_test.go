package netplane

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rawSocket is an AF_PACKET socket on a container's eth0.
type rawSocket struct {
	fd      int
	ifindex int
}

func openRaw(t *testing.T, nsPath string) *rawSocket {
	t.Helper()
	var rs rawSocket
	err := inNetNS(nsPath, func() error {
		ifc, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		tv := unix.Timeval{Usec: 200000}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		rs = rawSocket{fd: fd, ifindex: ifc.Index}
		return nil
	})
	if err != nil {
		t.Fatalf("raw socket in %s: %v", nsPath, err)
	}
	t.Cleanup(func() { unix.Close(rs.fd) })
	return &rs
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (r *rawSocket) send(t *testing.T, frame []byte) {
	t.Helper()
	if err := unix.Sendto(r.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: r.ifindex}); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// received reports whether a frame containing marker arrives within d.
func (r *rawSocket) received(marker []byte, d time.Duration) bool {
	buf := make([]byte, 2048)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		n, _, err := unix.Recvfrom(r.fd, buf, 0)
		if err != nil {
			continue
		}
		if bytes.Contains(buf[:n], marker) {
			return true
		}
	}
	return false
}

var broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// arpFrame is an ARP request from mac/ip for target, behind the given
// 802.1Q/802.1ad tags (TPID values), broadcast.
func arpFrame(mac net.HardwareAddr, ip, target string, tpids ...uint16) []byte {
	var b bytes.Buffer
	b.Write(broadcast)
	b.Write(mac)
	for _, tpid := range tpids {
		_ = binary.Write(&b, binary.BigEndian, tpid)
		_ = binary.Write(&b, binary.BigEndian, uint16(42)) // VLAN 42
	}
	_ = binary.Write(&b, binary.BigEndian, uint16(0x0806))
	_ = binary.Write(&b, binary.BigEndian, []uint16{1, 0x0800})
	b.Write([]byte{6, 4})
	_ = binary.Write(&b, binary.BigEndian, uint16(1))
	b.Write(mac)
	b.Write(net.ParseIP(ip).To4())
	b.Write(make([]byte, 6))
	b.Write(net.ParseIP(target).To4())
	return b.Bytes()
}

// raFrame is an ICMPv6 router advertisement from mac to all nodes.
func raFrame(mac net.HardwareAddr, marker []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x33, 0x33, 0, 0, 0, 1})
	b.Write(mac)
	_ = binary.Write(&b, binary.BigEndian, uint16(0x86dd))
	payload := append([]byte{134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}, marker...)
	b.Write([]byte{0x60, 0, 0, 0})
	_ = binary.Write(&b, binary.BigEndian, uint16(len(payload)))
	b.Write([]byte{58, 255})
	b.Write(net.ParseIP("fe80::1"))
	b.Write(net.ParseIP("ff02::1"))
	b.Write(payload)
	return b.Bytes()
}

// TestAntiSpoofingFrames sends forged frames from one container and watches
// for them on a neighbour of the same network and host: only the honest
// ARP request may arrive (which also proves the watch works).
func TestAntiSpoofingFrames(t *testing.T) {
	requireRoot(t)
	hosts := newHosts(t, 1, "", false)
	c := &cluster{hosts: hosts}
	n := c.vxlan("projA", "10.40.0.0/24", "10.40.0.1")
	sg := c.defaultGroup()
	p1 := c.port(0, n, "10.40.0.11", sg)
	p2 := c.port(0, n, "10.40.0.12", sg)
	c.apply(t)
	sender, watcher := hosts[0].plug(t, p1), hosts[0].plug(t, p2)
	tx, rx := openRaw(t, sender.path), openRaw(t, watcher.path)
	mac, _ := net.ParseMAC(c.portSpec(p1).MAC)
	foreign, _ := net.ParseMAC("fa:16:3e:66:66:66")

	target := func(last byte) []byte { return []byte{10, 40, 0, last} }
	cases := []struct {
		name   string
		frame  []byte
		marker []byte
		pass   bool
	}{
		{"honest ARP request", arpFrame(mac, "10.40.0.11", "10.40.0.201"), target(201), true},
		{"gratuitous ARP for a neighbour's address", arpFrame(mac, "10.40.0.12", "10.40.0.202"), target(202), false},
		{"ARP from a foreign MAC", arpFrame(foreign, "10.40.0.11", "10.40.0.203"), target(203), false},
		{"802.1Q tagged", arpFrame(mac, "10.40.0.11", "10.40.0.204", 0x8100), target(204), false},
		{"Q-in-Q", arpFrame(mac, "10.40.0.11", "10.40.0.205", 0x88a8, 0x8100), target(205), false},
		{"router advertisement", raFrame(mac, []byte("zun-ra-marker")), []byte("zun-ra-marker"), false},
	}
	for _, tc := range cases {
		tx.send(t, tc.frame)
		if got := rx.received(tc.marker, 700*time.Millisecond); got != tc.pass {
			t.Errorf("%s: arrived=%v, want %v", tc.name, got, tc.pass)
		}
	}
}
