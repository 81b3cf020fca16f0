// Package netguard decides whether the platform may open a connection to an address
// that a tenant supplied (webhook and Slack destinations). It refuses loopback, private,
// link-local (the cloud metadata service 169.254.169.254 included), unspecified,
// multicast and reserved addresses, and the IPv6 forms that embed one of them
// (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo).
//
// The same policy runs twice: when a rule is saved (CheckURL resolves the host and
// checks every address) and when a notification is sent (Control, installed as a
// net.Dialer's Control hook, checks the address actually dialled, so DNS rebinding and
// redirects cannot reach a refused address).
//
// Only the local stack may allow loopback destinations, and only by explicit
// configuration: ALLOW_LOOPBACK_DESTINATIONS=true read by ConfigureFromEnv, or
// SetAllowLoopback(true). Nothing else is ever allowed.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// EnvAllowLoopback is the setting that lets the local stack send to loopback addresses.
const EnvAllowLoopback = "ALLOW_LOOPBACK_DESTINATIONS"

// MaxURLLength bounds a destination URL.
const MaxURLLength = 2048

// ErrRefused is wrapped by every refusal, so callers can test with errors.Is.
var ErrRefused = errors.New("destination refused")

// RefusedError says why a destination was refused; Reason is safe to show to the
// tenant who configured it.
type RefusedError struct {
	Reason string
}

// Error returns the reason.
func (e *RefusedError) Error() string { return e.Reason }

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Unwrap() error { return ErrRefused }

func refuse(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

var allowLoopback atomic.Bool

// SetAllowLoopback turns loopback destinations on or off for the whole process. Only
// the local stack turns it on.
func SetAllowLoopback(on bool) { allowLoopback.Store(on) }

// AllowsLoopback reports whether loopback destinations are allowed.
func AllowsLoopback() bool { return allowLoopback.Load() }

// ConfigureFromEnv sets the loopback option from ALLOW_LOOPBACK_DESTINATIONS: exactly
// "true" turns it on; anything else, absence included, leaves it off.
func ConfigureFromEnv() {
	SetAllowLoopback(os.Getenv(EnvAllowLoopback) == "true")
}

// Resolver looks up the addresses of a host name; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckURL parses a destination URL and checks it: http or https only, a host, no user
// name or password, at most MaxURLLength bytes, and every address the host resolves to
// (through r; net.DefaultResolver when r is nil) allowed by CheckAddr. It returns the
// parsed URL, or an error wrapping ErrRefused whose text is the reason.
func CheckURL(ctx context.Context, raw string, r Resolver) (*url.URL, error) {
	u, host, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return u, CheckAddr(ip)
	}
	if err := checkName(host); err != nil {
		return nil, err
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, refuse("host %s does not resolve", host)
	}
	for _, a := range addrs {
		if err := CheckAddr(a); err != nil {
			return nil, refuse("host %s resolves to a refused address: %v", host, err)
		}
	}
	return u, nil
}

// parseURL checks the parts of a URL that need no lookup and returns its host without
// brackets or zone.
func parseURL(raw string) (*url.URL, string, error) {
	if len(raw) > MaxURLLength {
		return nil, "", refuse("URL is longer than %d bytes", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", refuse("is not a valid URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, "", refuse("scheme must be https or http")
	}
	if u.User != nil {
		return nil, "", refuse("URL must not carry a user name or password")
	}
	host := u.Hostname()
	if host == "" {
		return nil, "", refuse("URL has no host")
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return nil, "", refuse("port must be 1 to 65535")
		}
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		return nil, "", refuse("address %s carries a zone", host)
	}
	return u, host, nil
}

// checkName refuses names that are loopback by definition and numeric hosts that are
// not a canonical address (2130706433, 0x7f.1, 127.1), which some resolvers turn into
// an address.
func checkName(host string) error {
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		if AllowsLoopback() {
			return nil
		}
		return refuse("host %s is loopback", host)
	}
	if numericHost(name) {
		return refuse("host %s is not a canonical IP address", host)
	}
	return nil
}

// numericHost reports whether every label of a name is a number in one of the forms
// inet_aton accepts (decimal, octal, 0x hex).
func numericHost(name string) bool {
	for _, label := range strings.Split(name, ".") {
		digits := strings.TrimPrefix(label, "0x")
		if label == "" || strings.Trim(digits, "0123456789abcdef") != "" {
			return false
		}
		if digits == label && strings.Trim(label, "0123456789") != "" {
			return false
		}
	}
	return true
}

// Control is a net.Dialer Control hook: it refuses a connection whose resolved address
// is not allowed by CheckAddr. Install it on every dialer that reaches tenant
// destinations:
//
//	d := &net.Dialer{Timeout: 3 * time.Second, Control: netguard.Control}
func Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refuse("cannot check address %s", address)
	}
	return CheckAddr(ap.Addr())
}

// Dialer returns a dialer with Control installed and the given connect timeout.
func Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: Control}
}
