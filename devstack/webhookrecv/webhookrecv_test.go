package webhookrecv_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/adpulse/adpulse/devstack/webhookrecv"
	"github.com/adpulse/adpulse/shared/webhook"
)

func TestReceiverVerifiesAndDeduplicates(t *testing.T) {
	r, err := webhookrecv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	r.AddSecret(secret)
	other, _ := webhook.NewSecret()

	body := []byte(`{"type":"rule.fired"}`)
	post := func(id, key string) int {
		req, _ := http.NewRequest(http.MethodPost, r.URL()+"/hook", bytes.NewReader(body))
		if err := webhook.SetHeaders(req.Header, id, time.Now(), body, key); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// GIVEN a good delivery, its retry and a forged one WHEN posted THEN 204, 204, 401.
	codes := []int{post("ntf_1_0", secret), post("ntf_1_0", secret), post("ntf_2_0", other)}
	if codes[0] != 204 || codes[1] != 204 || codes[2] != 401 {
		t.Fatalf("status codes %v, want 204 204 401", codes)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	got, err := r.Wait(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Verified || got[0].Duplicate || !got[1].Duplicate || got[2].Verified ||
		got[2].Err == "" || got[0].Path != "/hook" || got[0].ID != "ntf_1_0" {
		t.Errorf("deliveries %+v", got)
	}
}
