package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/adpulse/adpulse/shared/netguard"
	"github.com/adpulse/adpulse/shared/webhook"
)

// allowLoopback sets the process-wide loopback allowance for one test.
func allowLoopback(t *testing.T, on bool) {
	t.Helper()
	netguard.SetAllowLoopback(on)
	t.Cleanup(func() { netguard.SetAllowLoopback(false) })
}

func TestClientSignedDeliveryVerifies(t *testing.T) {
	allowLoopback(t, true)
	secret, _ := webhook.NewSecret()
	var verified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		if err := webhook.Verify(r.Header, body, time.Now(), secret); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		verified.Add(1)
	}))
	defer srv.Close()

	body := []byte(`{"hello":"world"}`)
	h := http.Header{}
	if err := webhook.SetHeaders(h, "ntf_1_0", time.Now(), body, secret); err != nil {
		t.Fatal(err)
	}
	resp, err := webhook.NewClient(webhook.Options{}).Post(context.Background(), srv.URL, body, h)
	if err != nil || resp.StatusCode != 200 || verified.Load() != 1 {
		t.Fatalf("Post = %+v, %v; verified %d", resp, err, verified.Load())
	}
}

func TestClientRefusals(t *testing.T) {
	redirectTo := func(target string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		}))
	}
	metadata := redirectTo("http://169.254.169.254/latest/meta-data/")
	defer metadata.Close()
	mapped := redirectTo("http://[::ffff:169.254.169.254]/")
	defer mapped.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ok.Close()

	tests := []struct {
		name          string
		loopback      bool
		url           string
		wantReason    string
		wantPermanent bool
	}{
		{"metadata address", true, "http://169.254.169.254/", "link-local", true},
		{"metadata IPv4-mapped", true, "http://[::ffff:169.254.169.254]/", "link-local", true},
		{"private", true, "http://10.1.2.3/", "private", true},
		{"localhost without allowance", false, "http://localhost:8080/", "loopback", true},
		{"loopback address without allowance", false, ok.URL, "loopback", true},
		{"file scheme", true, "file:///etc/passwd", "scheme must be https or http", true},
		{"redirect to metadata", true, metadata.URL, "redirects are not followed", false},
		{"redirect to mapped metadata", true, mapped.URL, "redirects are not followed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			allowLoopback(t, tc.loopback)
			c := webhook.NewClient(webhook.Options{})
			_, err := c.Post(context.Background(), tc.url, []byte(`{}`), nil)
			var se *webhook.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Post(%s) = %v, want a SendError", tc.url, err)
			}
			if !strings.Contains(se.Reason, tc.wantReason) || se.Permanent != tc.wantPermanent {
				t.Errorf("reason %q permanent %v, want %q permanent %v",
					se.Reason, se.Permanent, tc.wantReason, tc.wantPermanent)
			}
		})
	}

	t.Run("loopback allowed explicitly", func(t *testing.T) {
		allowLoopback(t, true)
		_, err := webhook.NewClient(webhook.Options{}).Post(context.Background(), ok.URL,
			[]byte(`{}`), nil)
		if err != nil {
			t.Fatalf("Post to allowed loopback: %v", err)
		}
	})
}

// publicResolver answers every name with a public address, as a rebinding DNS server
// does for the check before it answers the connect with a refused one.
type publicResolver struct{}

func (publicResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
}

func TestClientRefusesRebindingAtConnect(t *testing.T) {
	allowLoopback(t, false)
	host, _ := os.Hostname()
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil || len(addrs) == 0 || !addrs[0].IsLoopback() {
		t.Skipf("host name %q does not resolve to loopback here (%v %v)", host, addrs, err)
	}
	c := webhook.NewClient(webhook.Options{Resolver: publicResolver{}})
	_, err = c.Post(context.Background(), "http://"+host+":9/", []byte(`{}`), nil)
	var se *webhook.SendError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "refused at connect") {
		t.Fatalf("Post = %v, want a refusal at connect", err)
	}
}

func TestClientCircuitBreaker(t *testing.T) {
	allowLoopback(t, true)
	var calls atomic.Int32
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	c := webhook.NewClient(webhook.Options{FailuresToOpen: 3, OpenFor: 200 * time.Millisecond})
	post := func() error {
		_, err := c.Post(context.Background(), srv.URL+"/hook", []byte(`{}`), nil)
		return err
	}

	// Three failures open the circuit; the fourth call does not reach the endpoint.
	for i := 0; i < 3; i++ {
		if err := post(); err == nil || !strings.Contains(err.Error(), "status 503") {
			t.Fatalf("call %d: %v, want status 503", i, err)
		}
	}
	if err := post(); !errors.Is(err, webhook.ErrCircuitOpen) {
		t.Fatalf("call with open circuit: %v, want circuit open", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("endpoint called %d times, want 3", calls.Load())
	}

	// After the cool-off one trial goes through; its success closes the circuit.
	healthy.Store(true)
	time.Sleep(250 * time.Millisecond)
	for i := 0; i < 2; i++ {
		if err := post(); err != nil {
			t.Fatalf("call %d after cool-off: %v", i, err)
		}
	}
	if calls.Load() != 5 {
		t.Errorf("endpoint called %d times, want 5", calls.Load())
	}
}

func TestClientTimeout(t *testing.T) {
	allowLoopback(t, true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	c := webhook.NewClient(webhook.Options{Timeout: 100 * time.Millisecond})
	_, err := c.Post(context.Background(), srv.URL, []byte(`{}`), nil)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Post = %v, want a timeout", err)
	}
}
