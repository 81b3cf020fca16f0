package bill

import (
	"maps"
	"math"
	"slices"

	"github.com/adpulse/adpulse/shared/meter"
)

// Service names of bill lines.
const (
	APIGateway = "API Gateway"
	Lambda     = "Lambda"
	Kinesis    = "Kinesis"
	DynamoDB   = "DynamoDB"
	SQS        = "SQS"
	SES        = "SES"
)

// Function is what one function did during a run.
type Function struct {
	Name        string         `json:"name"`
	APIRequests int64          `json:"api_requests"` // requests API Gateway sent it
	Invocations int64          `json:"invocations"`
	GBSeconds   float64        `json:"gb_seconds"` // billed duration × memory
	Usage       meter.Snapshot `json:"usage"`      // its SDK calls
	// Tables is its DynamoDB usage by table label, then operation (meter.Meter.Tables),
	// each operation's tables summing to its Usage; nil when not metered by table.
	Tables meter.Snapshot `json:"tables,omitempty"`
}

// Run is what a measured run used.
type Run struct {
	Events     int64      `json:"events"` // events accepted
	Functions  []Function `json:"functions"`
	ShardHours float64    `json:"shard_hours,omitempty"` // provisioned Kinesis shard-hours
}

// Function returns the named function of the run, zero if absent.
func (r Run) Function(name string) Function {
	for _, f := range r.Functions {
		if f.Name == name {
			return f
		}
	}
	return Function{Name: name}
}

// Line is one priced quantity.
type Line struct {
	Service  string  `json:"service"`
	Function string  `json:"function,omitempty"` // empty for the stream's shard-hours
	Table    string  `json:"table,omitempty"`    // DynamoDB lines: the table label, if known
	Item     string  `json:"item"`
	Quantity float64 `json:"quantity"`
	USD      float64 `json:"usd"`
}

// Bill is the priced usage of a run.
type Bill struct {
	Events int64   `json:"events"`
	Lines  []Line  `json:"lines"`
	USD    float64 `json:"usd"`
}

// PerMillion returns the dollars per million events.
func (b Bill) PerMillion() float64 { return perMillion(b.USD, float64(b.Events)) }

// ByService returns the dollars per million events of each service.
func (b Bill) ByService() map[string]float64 {
	return b.group(func(l Line) string { return l.Service })
}

// ByFunction returns the dollars per million events of each function; the stream's
// shard-hours are under "stream".
func (b Bill) ByFunction() map[string]float64 {
	return b.group(func(l Line) string {
		if l.Function == "" {
			return "stream"
		}
		return l.Function
	})
}

// ByTable returns the dollars per million events of each DynamoDB table label; "" holds
// the units of functions not metered by table.
func (b Bill) ByTable() map[string]float64 {
	out := map[string]float64{}
	for _, l := range b.Lines {
		if l.Service == DynamoDB {
			out[l.Table] += perMillion(l.USD, float64(b.Events))
		}
	}
	return out
}

// Services returns the services of the bill, sorted.
func (b Bill) Services() []string { return slices.Sorted(maps.Keys(b.ByService())) }

func (b Bill) group(key func(Line) string) map[string]float64 {
	out := map[string]float64{}
	for _, l := range b.Lines {
		out[key(l)] += perMillion(l.USD, float64(b.Events))
	}
	return out
}

// Compute prices a run. A function's DynamoDB units are priced by table where it was
// metered by table, the rest (none when its tables sum to its usage) on a line without one.
func Compute(p Prices, r Run) Bill {
	b := Bill{Events: r.Events}
	add := func(service, fn, table string, price Price, qty float64) {
		if math.Abs(qty) < 1e-9 {
			return
		}
		usd := qty * price.Each()
		b.Lines = append(b.Lines, Line{Service: service, Function: fn, Table: table,
			Item: price.Unit, Quantity: qty, USD: usd})
		b.USD += usd
	}

	for _, f := range r.Functions {
		add(APIGateway, f.Name, "", p.APIGatewayREST, float64(f.APIRequests))
		add(Lambda, f.Name, "", p.LambdaRequests, float64(f.Invocations))
		add(Lambda, f.Name, "", p.LambdaGBSecondsA, f.GBSeconds)
		k, d := f.Usage.Service("Kinesis"), f.Usage.Service("DynamoDB")
		add(Kinesis, f.Name, "", p.KinesisPUTUnits, float64(k.PutUnits))
		wru, rru := float64(d.WriteUnits), d.ReadUnits
		for _, table := range slices.Sorted(maps.Keys(f.Tables)) {
			t := f.Tables.Service(table)
			add(DynamoDB, f.Name, table, p.DynamoWRU, float64(t.WriteUnits))
			add(DynamoDB, f.Name, table, p.DynamoRRU, t.ReadUnits)
			wru, rru = wru-float64(t.WriteUnits), rru-t.ReadUnits
		}
		add(DynamoDB, f.Name, "", p.DynamoWRU, wru)
		add(DynamoDB, f.Name, "", p.DynamoRRU, rru)
		add(SQS, f.Name, "", p.SQSRequests, float64(f.Usage.Service("SQS").SQSUnits))
		add(SES, f.Name, "", p.SESMessages, float64(f.Usage.Service("SESv2").Emails))
	}
	add(Kinesis, "", "", p.KinesisShardHour, r.ShardHours)
	return b
}

func perMillion(usd, events float64) float64 {
	if events == 0 {
		return 0
	}
	return usd / events * 1e6
}
