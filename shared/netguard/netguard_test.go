package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/adpulse/adpulse/shared/netguard"
)

// fakeResolver answers from a map; a missing name does not resolve.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

var resolver = fakeResolver{
	"hooks.example.com": {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
	"rebind.example":    {"93.184.215.14", "10.1.2.3"},
	"meta.example":      {"169.254.169.254"},
	"localhost":         {"127.0.0.1", "::1"},
	"loop.example":      {"127.0.0.1"},
}

func TestCheckAddr(t *testing.T) {
	cases := []struct {
		addr string
		want string // "" = allowed, else a substring of the reason
	}{
		{"93.184.215.14", ""},
		{"8.8.8.8", ""},
		{"2606:4700::1111", ""},
		{"::ffff:8.8.8.8", ""},
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"10.0.0.1", "private"},
		{"172.16.5.4", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.1", ""},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "shared"},
		{"169.254.169.254", "link-local"},
		{"169.254.0.1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "reserved"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"febf::1", "link-local"},
		{"::ffff:169.254.169.254", "(IPv4-mapped form of 169.254.169.254) is link-local"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:10.0.0.1", "private"},
		{"::169.254.169.254", "IPv4-compatible"},
		{"::127.0.0.1", "loopback"},
		{"64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"},
		{"64:ff9b::808:808", ""},
		{"64:ff9b:1::1", "NAT64"},
		{"2002:a9fe:a9fe::1", "6to4 form of 169.254.169.254"},
		{"2002:7f00:1::", "loopback"},
		{"2002:808:808::1", ""},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			err := netguard.CheckAddr(netip.MustParseAddr(tc.addr))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want allowed", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want a refusal mentioning %q", err, tc.want)
			case err != nil && !errors.Is(err, netguard.ErrRefused):
				t.Errorf("got %v, want it to wrap ErrRefused", err)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	cases := []struct {
		url  string
		want string
	}{
		{"https://hooks.example.com/x?y=1", ""},
		{"http://hooks.example.com:8443/x", ""},
		{"https://93.184.215.14/", ""},
		{"http://169.254.169.254/", "link-local"},
		{"http://[::ffff:169.254.169.254]/", "link-local"},
		{"http://[::ffff:a9fe:a9fe]/latest", "link-local"},
		{"http://localhost:8080/", "loopback"},
		{"http://LOCALHOST./", "loopback"},
		{"http://api.localhost/", "loopback"},
		{"http://loop.example/", "loopback"},
		{"http://meta.example/", "link-local"},
		{"http://rebind.example/", "private"},
		{"http://2130706433/", "canonical"},
		{"http://0x7f.1/", "canonical"},
		{"http://017700000001/", "canonical"},
		{"file:///etc/passwd", "scheme"},
		{"gopher://hooks.example.com/", "scheme"},
		{"ftp://hooks.example.com/", "scheme"},
		{"https://user:pw@hooks.example.com/", "user name"},
		{"https:///nohost", "no host"},
		{"https://hooks.example.com:0/", "port"},
		{"https://nowhere.example/", "does not resolve"},
		{"https://[fe80::1%25eth0]/", "zone"},
		{"https://hooks.example.com/" + strings.Repeat("a", 2100), "longer"},
		{"::not a url", "valid URL"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			_, err := netguard.CheckURL(context.Background(), tc.url, resolver)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want allowed", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want a refusal mentioning %q", err, tc.want)
			}
		})
	}
}

func TestAllowLoopback(t *testing.T) {
	t.Setenv(netguard.EnvAllowLoopback, "true")
	netguard.ConfigureFromEnv()
	defer netguard.SetAllowLoopback(false)

	cases := []struct {
		url     string
		allowed bool
	}{
		{"http://localhost:8080/hook", true},
		{"http://127.0.0.1:8080/hook", true},
		{"http://[::1]:8080/hook", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"http://169.254.169.254/", false},
		{"http://[::ffff:169.254.169.254]/", false},
		{"http://10.0.0.1/", false},
		{"http://0.0.0.0/", false},
	}
	for _, tc := range cases {
		_, err := netguard.CheckURL(context.Background(), tc.url, resolver)
		if got := err == nil; got != tc.allowed {
			t.Errorf("%s: got allowed=%v (%v), want %v", tc.url, got, err, tc.allowed)
		}
	}

	for _, v := range []string{"", "1", "TRUE", "yes"} {
		t.Setenv(netguard.EnvAllowLoopback, v)
		netguard.ConfigureFromEnv()
		if netguard.AllowsLoopback() {
			t.Errorf("%s=%q: got loopback allowed, want refused", netguard.EnvAllowLoopback, v)
		}
	}
}

func TestControlRefusesAtDial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	_, err = netguard.Dialer(0).Dial("tcp", l.Addr().String())
	if !errors.Is(err, netguard.ErrRefused) {
		t.Errorf("dial loopback: got %v, want ErrRefused", err)
	}

	netguard.SetAllowLoopback(true)
	defer netguard.SetAllowLoopback(false)
	conn, err := netguard.Dialer(0).Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("dial loopback when allowed: got %v, want a connection", err)
	}
	conn.Close()

	for _, addr := range []string{"169.254.169.254:80", "[::ffff:169.254.169.254]:80",
		"[fe80::1%lo]:80", "not-an-address"} {
		if err := netguard.Control("tcp", addr, nil); !errors.Is(err, netguard.ErrRefused) {
			t.Errorf("Control(%s): got %v, want ErrRefused", addr, err)
		}
	}
}
