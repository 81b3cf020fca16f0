package aggregate

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/shared/alerting"
	"github.com/adpulse/adpulse/shared/capping"
	"github.com/adpulse/adpulse/shared/event"
	"github.com/adpulse/adpulse/shared/metrics"
)

// DynamoAPI is the part of the DynamoDB client the aggregator uses.
type DynamoAPI interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.UpdateItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (
		*dynamodb.GetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (
		*dynamodb.QueryOutput, error)
}

// SQSAPI is the part of the SQS client used to park poison records.
type SQSAPI interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (
		*sqs.SendMessageOutput, error)
}

// Handler is the aggregate function: Kinesis batch in, rollups out.
type Handler struct {
	DB              DynamoAPI
	Queue           SQSAPI
	AggregatesTable string
	ClaimsTable     string // the de-duplication log (dedup.go) and shard lineages
	FailureQueueURL string
	DedupWindow     time.Duration // how long an event id is remembered after it counted
	LogFormat       LogFormat     // of new de-duplication log items; both formats are read
	MinuteRetention time.Duration // how long minute rows live after their last write
	Workers         int           // concurrent DynamoDB writes
	Now             func() time.Time
	Log             *slog.Logger

	// Evaluator, when set, is given the campaigns each batch touched once their rows are
	// written, to evaluate alert rules on the new totals.
	Evaluator Evaluator

	// Capping, when set, counts each claimed impression against frequency caps.
	Capping *capping.Counter

	// Shards, when set, finds the parents of a shard after the stream was resharded, so
	// that a child shard reads its parents' de-duplication logs (lineage.go).
	Shards ShardLister

	dedup dedupCache // log partitions read by this execution environment
}

// Evaluator evaluates the alert rules of changed campaigns and returns the ones whose
// evaluation failed.
type Evaluator interface {
	Evaluate(ctx context.Context, changed []alerting.CampaignRef) []alerting.CampaignRef
}

// stats is what one invocation did, for its outcome line.
type stats struct {
	records, events, duplicates, poison int
	rowsWritten, rowsAlreadyApplied     int
	claimWrites, rowWrites, reachWrites int // claimWrites: items put in the dedup log
	capWrites                           int
}

// Handle processes one batch and reports the lowest sequence number that must be
// delivered again, if any. It returns an error only when the batch could not be read at
// all, never for a bad record.
func (h *Handler) Handle(ctx context.Context, in events.KinesisEvent) (
	events.KinesisEventResponse, error) {
	start := time.Now()
	st := stats{records: len(in.Records)}
	var fail failureMark

	// Read every record; park the ones that can never succeed.
	b := parseBatch(in, h.Now())
	st.events, st.poison = len(b.items), len(b.poison)
	for _, p := range b.poison {
		if err := h.park(ctx, p); err != nil {
			h.Log.WarnContext(ctx, "cannot park poison record", slog.Any("err", err))
			fail.add(p.seq)
		}
	}

	// Look each event up in the shard's de-duplication log; a copy of an event another
	// record counted is skipped, and the rest are logged before they are counted.
	var stream string
	if len(in.Records) > 0 {
		stream = in.Records[0].EventSourceArn
	}
	claimed, dups, claimWrites, claimFailed := h.dedupAll(ctx, stream, b.items)
	st.duplicates, st.claimWrites = dups, claimWrites
	for _, seq := range claimFailed {
		fail.add(seq)
	}

	// Count claimed impressions against frequency caps; each is marked once counted.
	if h.Capping != nil {
		writes, failed := h.countCaps(ctx, b.items, claimed)
		st.capWrites = writes
		for _, seq := range failed {
			fail.add(seq)
		}
	}

	// Fold what came before the first failure and write one update per row.
	rows := fold(b.items, claimed, fail.seq, h.Now(), h.MinuteRetention)
	written, applied, rowWrites, rowFailed := h.applyAll(ctx, rows)
	st.rowsWritten, st.rowsAlreadyApplied, st.rowWrites = written, applied, rowWrites
	for _, seq := range rowFailed {
		fail.add(seq)
	}

	// Evaluate the rules of the campaigns whose events were counted, even when their rows
	// were already written by an earlier attempt: that attempt may have stopped before
	// evaluating.
	if h.Evaluator != nil {
		changed := changedCampaigns(b.items, claimed, fail.seq)
		refs := make([]alerting.CampaignRef, 0, len(changed))
		for ref := range changed {
			refs = append(refs, ref)
		}
		for _, ref := range h.Evaluator.Evaluate(ctx, refs) {
			fail.add(changed[ref])
		}
	}

	// Merge the people reached into the hourly sketches.
	reachWrites, reachFailed := h.applyReach(ctx, foldReach(b.items))
	st.reachWrites = reachWrites
	for _, seq := range reachFailed {
		fail.add(seq)
	}

	h.logOutcome(ctx, st, fail.seq, time.Since(start))
	h.recordMetrics(ctx, in, b.items, claimed, st, fail.seq)
	if fail.seq == "" {
		return events.KinesisEventResponse{}, nil
	}
	return events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{
		{ItemIdentifier: fail.seq},
	}}, nil
}

// countCaps passes the claimed impressions to the capping counter and returns its
// writes and the sequence numbers of the impressions it could not count.
func (h *Handler) countCaps(ctx context.Context, items []item, claimed []bool) (int, []string) {
	var imps []capping.Impression
	var idx []int
	for i := range items {
		if claimed[i] && items[i].ev.Type == event.Impression {
			imps = append(imps, capping.FromEvent(items[i].tenant, items[i].owner, &items[i].ev))
			idx = append(idx, i)
		}
	}
	if len(imps) == 0 {
		return 0, nil
	}
	res, err := h.Capping.Count(ctx, imps)
	if err != nil {
		h.Log.WarnContext(ctx, "capping count failed", slog.Any("err", err))
	}
	failed := make([]string, 0, len(res.Failed))
	for _, j := range res.Failed {
		failed = append(failed, items[idx[j]].seq)
	}
	return res.Writes, failed
}

// changedCampaigns maps each campaign with counted events below cutoff to the lowest
// sequence number that carried one.
func changedCampaigns(items []item, claimed []bool,
	cutoff string) map[alerting.CampaignRef]string {
	out := map[alerting.CampaignRef]string{}
	for i := range items {
		it := &items[i]
		if !claimed[i] || (cutoff != "" && !seqLess(it.seq, cutoff)) {
			continue
		}
		ref := alerting.CampaignRef{TenantID: it.tenant, CampaignID: it.ev.CampaignID}
		if seq, ok := out[ref]; !ok || seqLess(it.seq, seq) {
			out[ref] = it.seq
		}
	}
	return out
}

// failureMark keeps the lowest failed sequence number.
type failureMark struct{ seq string }

func (f *failureMark) add(seq string) {
	if seq != "" && (f.seq == "" || seqLess(seq, f.seq)) {
		f.seq = seq
	}
}

func (h *Handler) logOutcome(ctx context.Context, st stats, failed string, d time.Duration) {
	attrs := []any{
		slog.Int("records", st.records), slog.Int("events", st.events),
		slog.Int("duplicates", st.duplicates), slog.Int("poison", st.poison),
		slog.Int("rowsWritten", st.rowsWritten),
		slog.Int("rowsAlreadyApplied", st.rowsAlreadyApplied),
		slog.Int("claimWrites", st.claimWrites), slog.Int("rowWrites", st.rowWrites),
		slog.Int("reachWrites", st.reachWrites), slog.Int("capWrites", st.capWrites),
		slog.Int64("ms", d.Milliseconds()),
	}
	if failed != "" {
		h.Log.WarnContext(ctx, "aggregate partial", append(attrs,
			slog.String("retryFrom", failed))...)
		return
	}
	h.Log.InfoContext(ctx, "aggregate done", attrs...)
}

// recordMetrics writes the batch's EMF metrics: EventsAggregated (events counted for the
// first time and folded in), EventsDuplicate, PoisonEvents, and AggregationLagMs, how long
// the oldest record of the batch waited on the stream (now minus its arrival time).
func (h *Handler) recordMetrics(ctx context.Context, in events.KinesisEvent, items []item,
	claimed []bool, st stats, cutoff string) {
	m := metrics.From(ctx)
	if m == nil {
		return
	}
	counted := 0
	for i := range items {
		if claimed[i] && (cutoff == "" || seqLess(items[i].seq, cutoff)) {
			counted++
		}
	}
	m.Count("EventsAggregated", float64(counted))
	m.Count("EventsDuplicate", float64(st.duplicates))
	m.Count("PoisonEvents", float64(st.poison))
	var oldest time.Time
	for _, r := range in.Records {
		at := r.Kinesis.ApproximateArrivalTimestamp.Time
		if !at.IsZero() && (oldest.IsZero() || at.Before(oldest)) {
			oldest = at
		}
	}
	if !oldest.IsZero() {
		m.Value("AggregationLagMs", metrics.Milliseconds,
			float64(max(h.Now().Sub(oldest), 0).Milliseconds()))
	}
}
