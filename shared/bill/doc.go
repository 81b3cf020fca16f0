// Package bill turns metered AWS usage into dollars: a dated us-east-1 on-demand price
// table with the source of each price (prices.go), the bill of a measured run broken down
// by service and by function (Compute), and a model of a launch day at a given event rate
// next to the naive design of one API request, one Kinesis record and one DynamoDB write
// per event (Model).
//
// The counts come from package meter (what the functions' SDK calls used) and from the
// functions' invocations and GB-seconds; this package only multiplies.
package bill
