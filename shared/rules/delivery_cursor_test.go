package rules

import (
	"encoding/base64"
	"testing"
	"time"
)

func TestDeliveryCursorShape(t *testing.T) {
	good := deliverySK(Delivery{At: time.Date(2026, 12, 3, 1, 2, 3, 4, time.UTC),
		NotificationID: "ntf_1", Kind: "fire", Channel: 1, Attempt: 2})
	if !validDeliverySK(good) {
		t.Fatalf("a key deliverySK made is refused: %q", good)
	}
	for _, bad := range []string{"", "zzz", "\xff", good[:29], good[:30] + "x",
		string(make([]byte, 2000))} {
		if validDeliverySK(bad) {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := base64.RawURLEncoding.DecodeString("_w"); err != nil {
		t.Fatal(err) // "_w" decodes to 0xFF, which validDeliverySK must refuse
	}
}
