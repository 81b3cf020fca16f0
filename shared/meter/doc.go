// Package meter counts what the AWS calls of a function cost, from what was actually sent
// and received: an AWS SDK v2 middleware records, per service and operation, the calls,
// the HTTP attempts and the billing units AWS charges for (Kinesis PUT payload units,
// DynamoDB write and read request units from item sizes, SQS 64 KB request units, SES
// messages). DynamoDB usage is also recorded by table (Meter.Tables), each table under a
// label given by NameTables, e.g. the environment variable that names it (TableLabels),
// so that a bill can tell a function's tables apart.
//
// Install it once on the SDK config, before the clients are made:
//
//	m := meter.New()
//	m.NameTables(meter.TableLabels(os.Environ()))
//	cfg.APIOptions = append(cfg.APIOptions, meter.Install(m))
//
// and log what each invocation used with Handler (one "aws usage" line per invocation),
// or put Attr(m.Take()) on the function's own outcome line. package bill turns the counts
// into dollars.
package meter
