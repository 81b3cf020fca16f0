// Package scenario is what `make run` does on a running local stack: load the input
// (iPinYou logs or generated traffic), replay it through the HTTP API, wait until the
// totals settle, read every campaign's totals back from DynamoDB and measure the run:
// events per second, seconds from the last accepted event to settled totals, and the
// DynamoDB writes the aggregate function made per event (from its own outcome lines).
package scenario
