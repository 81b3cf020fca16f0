// Package metrics records business metrics in CloudWatch embedded metric format (EMF):
// the metrics of one invocation are written to stdout as JSON log lines, which CloudWatch
// Logs turns into metrics, so recording costs no API call.
//
// Wrap the Lambda handler once; code below it records through the context:
//
//	lambda.Start(metrics.Handler("ingest", h.Handle))
//	...
//	metrics.From(ctx).Count("EventsAccepted", n)
//	metrics.From(ctx).Count("EventsRejected", 1, metrics.Dim("Reason", "invalid"))
//	metrics.From(ctx).Value("AggregationLagMs", metrics.Milliseconds, lag)
//
// Every metric carries the Function dimension; extra dimensions make the sets
// {Function,Reason}, {Function,Channel} and so on, and a metric recorded with extra
// dimensions is also published under {Function} alone, so alarms and graphs can read the
// function's total without knowing every reason or channel. Counts of one name and one
// set of dimension values are summed over the invocation; values are kept one by one (at
// most MaxValues of them, the EMF limit). Flush writes one line per distinct set of
// dimension values, usually one. From on a context without a recorder gives a recorder
// that drops everything, so shared code records without caring whether it is wired.
//
// Dimension values must never be personal data or free text: use short, closed sets
// (reasons, channel types).
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "adpulse"

// MaxValues is the most values one metric keeps per line (the EMF limit).
const MaxValues = 100

// Unit is a CloudWatch metric unit.
type Unit string

// The units used by adpulse.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
	None         Unit = "None"
)

// Dimension is one dimension of a metric.
type Dimension struct{ Name, Value string }

// Dim makes a Dimension.
func Dim(name, value string) Dimension { return Dimension{Name: name, Value: value} }

// Recorder collects the metrics of one invocation. Its methods are safe for concurrent
// use; a nil *Recorder drops everything.
type Recorder struct {
	function string
	mu       sync.Mutex
	groups   map[string]*group
}

// group is the metrics of one set of dimension values.
type group struct {
	dims    []Dimension // Function first, then the rest sorted by name
	order   []string    // metric names in the order first recorded
	metrics map[string]*metric
}

type metric struct {
	unit   Unit
	count  bool
	sum    float64
	values []float64
}

// New returns an empty recorder for the named function (the Function dimension).
func New(function string) *Recorder {
	return &Recorder{function: function, groups: map[string]*group{}}
}

// Count adds n to the named counter (unit Count) under the given extra dimensions.
func (r *Recorder) Count(name string, n float64, dims ...Dimension) {
	r.record(name, Count, true, n, dims)
}

// Value records one observation of the named metric under the given extra dimensions.
func (r *Recorder) Value(name string, unit Unit, v float64, dims ...Dimension) {
	r.record(name, unit, false, v, dims)
}

func (r *Recorder) record(name string, unit Unit, count bool, v float64, dims []Dimension) {
	if r == nil {
		return
	}
	all := make([]Dimension, 0, len(dims)+1)
	all = append(all, Dim("Function", r.function))
	extra := append([]Dimension(nil), dims...)
	sort.Slice(extra, func(i, j int) bool { return extra[i].Name < extra[j].Name })
	all = append(all, extra...)
	var key strings.Builder
	for _, d := range all {
		key.WriteString(d.Name + "\x00" + d.Value + "\x00")
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groups[key.String()]
	if g == nil {
		g = &group{dims: all, metrics: map[string]*metric{}}
		r.groups[key.String()] = g
	}
	m := g.metrics[name]
	if m == nil {
		m = &metric{unit: unit, count: count}
		g.metrics[name] = m
		g.order = append(g.order, name)
	}
	if m.count {
		m.sum += v
	} else if len(m.values) < MaxValues {
		m.values = append(m.values, v)
	}
}

// Lines returns the EMF documents of what was recorded, one per set of dimension values
// (sorted by their values), stamped with t, and forgets what was recorded.
func (r *Recorder) Lines(t time.Time) [][]byte {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	groups := r.groups
	r.groups = map[string]*group{}
	r.mu.Unlock()

	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		out = append(out, groups[k].document(t))
	}
	return out
}

// Flush writes the lines of what was recorded to w, each in one Write.
func (r *Recorder) Flush(w io.Writer, t time.Time) error {
	for _, line := range r.Lines(t) {
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}

type metricDef struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type awsMeta struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

func (g *group) document(t time.Time) []byte {
	names := make([]string, len(g.dims))
	doc := map[string]any{}
	for i, d := range g.dims {
		names[i] = d.Name
		doc[d.Name] = d.Value
	}
	dir := directive{Namespace: Namespace, Dimensions: [][]string{names}}
	if len(names) > 1 {
		dir.Dimensions = append(dir.Dimensions, []string{names[0]}) // the Function total
	}
	for _, name := range g.order {
		m := g.metrics[name]
		dir.Metrics = append(dir.Metrics, metricDef{Name: name, Unit: m.unit})
		switch {
		case m.count:
			doc[name] = m.sum
		case len(m.values) == 1:
			doc[name] = m.values[0]
		default:
			doc[name] = m.values
		}
	}
	doc["_aws"] = awsMeta{Timestamp: t.UnixMilli(), CloudWatchMetrics: []directive{dir}}
	b, _ := json.Marshal(doc) // strings, numbers and slices of them always encode
	return b
}

type ctxKey struct{}

// With returns a context carrying r.
func With(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// From returns the recorder of ctx, or nil (which drops everything) when it has none.
func From(ctx context.Context) *Recorder {
	r, _ := ctx.Value(ctxKey{}).(*Recorder)
	return r
}

// out is where Handler writes; one mutex keeps lines whole.
var (
	outMu sync.Mutex
	out   io.Writer = os.Stdout
)

// Handler wraps a Lambda handler: each invocation gets a fresh recorder in its context,
// and what it recorded is written to stdout when it returns, errors included.
func Handler[In, Out any](function string,
	fn func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		r := New(function)
		res, err := fn(With(ctx, r), in)
		outMu.Lock()
		_ = r.Flush(out, time.Now())
		outMu.Unlock()
		return res, err
	}
}
