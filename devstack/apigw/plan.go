package apigw

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/adpulse/adpulse/devstack/template"
)

// API Gateway's own answers for usage plan keys and limits.
var (
	invalidKey = refusal{"INVALID_API_KEY", "ForbiddenException", "Forbidden", 403}
	throttled  = refusal{"THROTTLED", "TooManyRequestsException", "Too Many Requests", 429}
	overQuota  = refusal{"QUOTA_EXCEEDED", "LimitExceededException", "Limit Exceeded", 429}
)

// meters applies a usage plan to each key separately, as API Gateway does: a token
// bucket of the plan's burst size refilled at its rate, and a count of requests per
// quota period. A refused request uses neither.
//
// Unlike API Gateway, any key counts as a key of the plan: the local stack has no API
// Gateway keys, so it cannot tell a key attached to the plan from one that is not. On
// AWS a tenant whose key is not attached gets 403 (`adpulse tenant attach-plan`).
type meters struct {
	plan template.UsagePlan
	now  func() time.Time

	mu   sync.Mutex
	keys map[string]*meter
}

// meter is the state of one key.
type meter struct {
	tokens float64
	filled time.Time // when tokens was last brought up to date
	period string    // the quota period counted in used
	used   int
}

// maxMeteredKeys bounds the meters; past it they start again (a local stack has few).
const maxMeteredKeys = 100000

func newMeters(plan template.UsagePlan) *meters {
	return &meters{plan: plan, now: time.Now, keys: make(map[string]*meter)}
}

// take counts one request of key and returns the refusal when the plan refuses it.
func (m *meters) take(key string) *refusal {
	now := m.now()
	period := quotaPeriod(m.plan.QuotaPeriod, now)

	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[key]
	if !ok {
		if len(m.keys) >= maxMeteredKeys {
			m.keys = make(map[string]*meter)
		}
		k = &meter{tokens: float64(m.plan.BurstLimit), filled: now}
		m.keys[key] = k
	}
	if k.period != period {
		k.period, k.used = period, 0
	}
	if m.plan.QuotaLimit > 0 && k.used >= m.plan.QuotaLimit {
		return &overQuota
	}
	if m.plan.RateLimit > 0 {
		k.tokens = min(float64(m.plan.BurstLimit),
			k.tokens+now.Sub(k.filled).Seconds()*m.plan.RateLimit)
		k.filled = now
		if k.tokens < 1 {
			return &throttled
		}
		k.tokens--
	}
	k.used++
	return nil
}

// quotaPeriod names the quota period holding t: its UTC day, ISO week or month.
func quotaPeriod(period string, t time.Time) string {
	t = t.UTC()
	switch period {
	case "DAY":
		return t.Format(time.DateOnly)
	case "WEEK":
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case "MONTH":
		return t.Format("2006-01")
	}
	return ""
}

// meter applies the API's usage plan to a method that requires a key; usageKey is the
// authorizer's usageIdentifierKey. It returns false once it has written the refusal:
// 403 without a key, 429 over the throttle or the quota.
func (s *Server) meter(w http.ResponseWriter, r *http.Request, route template.Route,
	usageKey, reqID string) (int, bool) {
	if !route.APIKeyRequired {
		return 0, true
	}
	key := r.Header.Get("X-Api-Key")
	if s.api.KeySource == "AUTHORIZER" {
		key = usageKey
	}
	if key == "" || s.plans == nil {
		return s.refuse(w, invalidKey, reqID), false
	}
	if f := s.plans.take(key); f != nil {
		return s.refuse(w, *f, reqID), false
	}
	return 0, true
}
