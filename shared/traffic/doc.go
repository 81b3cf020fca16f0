// Package traffic generates realistic, reproducible ad traffic for one tenant: campaigns
// with several ads on different channels, users drawn from a skewed (Zipf) distribution,
// some of them on several devices, impressions priced at real CPMs, clicks at real
// click-through rates, conversions at real conversion rates, and a few duplicate
// deliveries. The same options and seed always give the same events.
//
// The generator also reports the exact totals per campaign that a correct pipeline shows
// after de-duplication, so that tests and `make run` can check the pipeline against them.
package traffic
