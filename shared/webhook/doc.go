// Package webhook signs, verifies and sends webhooks as Standard Webhooks
// (https://www.standardwebhooks.com) describes them.
//
// A delivery carries three headers: webhook-id (the same on every retry of one
// delivery, for the receiver to de-duplicate on), webhook-timestamp (Unix seconds) and
// webhook-signature, one "v1,<base64 HMAC-SHA256>" per signing secret separated by
// spaces, so that a receiver holding either the old or the new secret of a rotation
// verifies it. The signed content is id + "." + timestamp + "." + body, keyed with the
// base64-decoded part of a "whsec_" secret. Signing and the HMAC itself come from the
// Standard Webhooks reference library; this package adds several secrets and a clock.
//
// Client posts to tenant-supplied destinations through the netguard policy: the URL is
// checked before the request and the dialled address again in the dialer's Control
// hook (so DNS rebinding is refused), redirects are never followed, and a circuit
// breaker per endpoint stops calling one that keeps failing.
package webhook
