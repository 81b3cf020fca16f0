package loadgen

import (
	"github.com/adpulse/adpulse/shared/bill"
	"github.com/adpulse/adpulse/shared/meter"
)

// Step is one load run of a benchmark and what it used.
type Step struct {
	Name      string        `json:"name"`
	Rate      float64       `json:"target_events_per_second"`
	Campaigns int           `json:"campaigns"`
	Load      Result        `json:"load"`
	Ingest    FunctionUsage `json:"ingest"`
	Aggregate FunctionUsage `json:"aggregate"`
	Memory    []Process     `json:"memory"`
	Settled   bool          `json:"settled"` // the stack drained within a minute of the run
}

// BillRun returns the step as the input of a bill: accepted events, every ingest
// invocation an API Gateway request.
func (s Step) BillRun() bill.Run {
	return bill.Run{Events: int64(s.Load.Accepted), Functions: []bill.Function{
		{Name: "ingest", APIRequests: int64(s.Ingest.Invocations),
			Invocations: int64(s.Ingest.Invocations), GBSeconds: s.Ingest.GBSeconds,
			Usage: s.Ingest.AWS, Tables: orNil(s.Ingest.Tables)},
		{Name: "aggregate", Invocations: int64(s.Aggregate.Invocations),
			GBSeconds: s.Aggregate.GBSeconds, Usage: s.Aggregate.AWS,
			Tables: orNil(s.Aggregate.Tables)},
	}}
}

// orNil is t, or nil when empty: a function whose log had no usage by table.
func orNil(t meter.Snapshot) meter.Snapshot {
	if len(t) == 0 {
		return nil
	}
	return t
}

// Bill prices the step.
func (s Step) Bill(p bill.Prices) bill.Bill { return bill.Compute(p, s.BillRun()) }

// Report is a whole benchmark: the machine, the commands, the load runs, the Go
// benchmarks, and the launch-day model.
type Report struct {
	Machine  Machine           `json:"machine"`
	Commands []string          `json:"commands"`
	Steps    []Step            `json:"steps"`
	GoBench  []GoBench         `json:"go_benchmarks,omitempty"`
	Prices   bill.Prices       `json:"prices"`
	Launch   []bill.Projection `json:"launch_day"` // ours and naive, from Steps[0]
	Scenario bill.Scenario     `json:"scenario"`
}

// Model fills in the launch-day projections from the first step.
func (r *Report) Model(s bill.Scenario) {
	r.Scenario = s
	if len(r.Steps) == 0 {
		return
	}
	ours, naive := bill.Model(r.Prices, r.Steps[0].BillRun(), s)
	r.Launch = []bill.Projection{ours, naive}
}
