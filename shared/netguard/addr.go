package netguard

import (
	"net/netip"
)

// block is a refused prefix and why.
type block struct {
	prefix netip.Prefix
	reason string
}

var (
	loopback4 = netip.MustParsePrefix("127.0.0.0/8")
	loopback6 = netip.MustParsePrefix("::1/128")
)

// blocked4 are the refused IPv4 prefixes.
var blocked4 = []block{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (this network)"},
	{loopback4, "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (RFC 6598)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (includes cloud metadata)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved (IETF protocol assignments)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved (benchmarking)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (includes broadcast)"},
}

// blocked6 are the refused IPv6 prefixes, checked after embedded IPv4 is unwrapped.
var blocked6 = []block{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{loopback6, "loopback"},
	{netip.MustParsePrefix("fc00::/7"), "private (RFC 4193 unique local)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"},
	{netip.MustParsePrefix("2001::/32"), "Teredo tunnel"},
	{netip.MustParsePrefix("2001:db8::/32"), "reserved (documentation)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)"},
}

// Prefixes that carry an IPv4 address inside an IPv6 one.
var (
	compat4 = netip.MustParsePrefix("::/96")        // IPv4-compatible (deprecated)
	nat64   = netip.MustParsePrefix("64:ff9b::/96") // NAT64 well-known prefix
	sixTo4  = netip.MustParsePrefix("2002::/16")    // 6to4: IPv4 in bits 16..47
)

// CheckAddr reports whether the platform may connect to ip. It returns nil for a
// public unicast address, and an error wrapping ErrRefused naming the address and the
// kind of range otherwise. IPv6 forms that embed an IPv4 address (::ffff:a.b.c.d,
// ::a.b.c.d, 64:ff9b::a.b.c.d, 2002:AABB:CCDD::) are judged by the embedded address.
// When loopback is allowed (SetAllowLoopback), 127.0.0.0/8 and ::1, in any of these
// forms, pass; nothing else does.
func CheckAddr(ip netip.Addr) error {
	if !ip.IsValid() {
		return refuse("address is not valid")
	}
	shown := ip.String()
	ip = ip.WithZone("")
	if v4, how := embedded4(ip); how != "" {
		if reason := check(v4, blocked4); reason != "" {
			return refuse("address %s (%s of %s) is %s", shown, how, v4, reason)
		}
		return nil
	}
	list := blocked4
	if ip.Is6() {
		list = blocked6
	}
	if reason := check(ip, list); reason != "" {
		return refuse("address %s is %s", shown, reason)
	}
	return nil
}

// check names the first refused range ip falls in, or returns "", honouring the
// loopback option.
func check(ip netip.Addr, list []block) string {
	if AllowsLoopback() && (loopback4.Contains(ip) || loopback6.Contains(ip)) {
		return ""
	}
	for _, b := range list {
		if b.prefix.Contains(ip) {
			return b.reason
		}
	}
	return ""
}

// embedded4 returns the IPv4 address an IPv6 address carries, and the form's name, or
// "" when it carries none.
func embedded4(ip netip.Addr) (netip.Addr, string) {
	if !ip.Is6() {
		return netip.Addr{}, ""
	}
	b := ip.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case ip.Is4In6():
		return last, "IPv4-mapped form"
	case ip == netip.IPv6Unspecified() || ip == netip.IPv6Loopback():
		return netip.Addr{}, ""
	case compat4.Contains(ip):
		return last, "IPv4-compatible form"
	case nat64.Contains(ip):
		return last, "NAT64 form"
	case sixTo4.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), "6to4 form"
	}
	return netip.Addr{}, ""
}
