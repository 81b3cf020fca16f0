package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// functionMetadataKey is the CloudFormation metadata key naming a function's folder under
// functions/; the local stack uses it to find the bootstrap to run.
const functionMetadataKey = "adpulse:function"

// functions holds the stack's Lambda functions.
type functions struct {
	ingest    awslambda.Function
	aggregate awslambda.Function

	// Management API (docs/auth.md, docs/campaigns.md).
	auth       awslambda.Function
	authorizer awslambda.Function
	admin      awslambda.Function
	campaigns  awslambda.Function

	features // alerts, reports, capping (infra/features.go)
}

// functionSpec is what differs between the functions.
type functionSpec struct {
	id       string // construct id
	folder   string // folder under functions/ and under dist/
	memoryMB float64
	timeout  awscdk.Duration
	env      map[string]*string

	// reserved is the function's reserved concurrency: that many executions are kept for
	// it alone and it never runs more. Zero leaves it in the account's shared pool.
	reserved float64
}

// Reserved concurrency of the functions that could starve, or be starved by, the others.
// Ingest keeps room for the hot path when a console or report burst fills the account's
// pool: at 100,000 events/s in 500-event requests of about 50 ms it needs about 10.
// Reports is capped because a top-N over a long range holds an execution for seconds.
// Together they take 120 of the account's 1,000 default; an account whose limit is lower
// (new accounts start at 10) cannot deploy them: raise the quota first (docs/runbooks/
// launch-day.md).
const (
	ingestReservedConcurrency  = 100
	reportsReservedConcurrency = 20
)

// newFunctions creates every function with least-privilege access to storage, and the
// mapping that feeds the Events stream to the aggregate function. origins is the CORS
// allow-list of the management functions.
func newFunctions(stack awscdk.Stack, st storage, assetDir func(string) string,
	origins []string) functions {
	fns := newPipelineFunctions(stack, st, assetDir)
	addManagementFunctions(stack, st, assetDir, origins, &fns)
	grantLeastPrivilege(fns, st)
	subscribeAggregate(fns.aggregate, st)
	addFeatures(stack, st, assetDir, origins, &fns)
	return fns
}

// newPipelineFunctions creates the ingest and aggregate functions of the event pipeline.
func newPipelineFunctions(stack awscdk.Stack, st storage,
	assetDir func(string) string) functions {
	ingest := newFunction(stack, assetDir, functionSpec{
		id:       "Ingest",
		folder:   "ingest",
		memoryMB: 512,
		timeout:  awscdk.Duration_Seconds(jsii.Number(10)),
		reserved: ingestReservedConcurrency,
		env: map[string]*string{
			"STREAM_NAME":     st.stream.StreamName(),
			"API_KEYS_TABLE":  st.apiKeys.TableName(),
			"PARTITION_SALTS": jsii.String("16"),
			"RECORD_CODEC":    jsii.String("s2"),
			"LOG_LEVEL":       jsii.String("info"),
		},
	})
	aggregate := newFunction(stack, assetDir, functionSpec{
		id:       "Aggregate",
		folder:   "aggregate",
		memoryMB: 1024,
		timeout:  awscdk.Duration_Seconds(jsii.Number(60)),
		env: map[string]*string{
			"AGGREGATES_TABLE":   st.aggregates.TableName(),
			"CLAIMS_TABLE":       st.claims.TableName(),
			"FAILURE_QUEUE_URL":  st.failures.QueueUrl(),
			"DEDUP_WINDOW_HOURS": jsii.String("168"),
			"LOG_LEVEL":          jsii.String("info"),
		},
	})

	return functions{ingest: ingest, aggregate: aggregate}
}

// grantLeastPrivilege gives each function the actions it calls and no more. Tables get
// explicit statements because the grantRead/grantWrite helpers include Query, Scan and
// batch actions the functions never use.
func grantLeastPrivilege(fns functions, st storage) {
	// Ingest writes records and reads single keys; grantWrite gives no kinesis read.
	st.stream.GrantWrite(fns.ingest)
	allow(fns.ingest, st.apiKeys.TableArn(), "dynamodb:GetItem")

	// Aggregate updates rows under a watermark condition, reads and appends to the
	// de-duplication log, reports poison. The stream mapping grants kinesis:ListShards,
	// with which it finds a shard's parents after resharding.
	allow(fns.aggregate, st.aggregates.TableArn(),
		"dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query")
	allow(fns.aggregate, st.claims.TableArn(),
		"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query")
	st.failures.GrantSendMessages(fns.aggregate)

	grantManagement(fns, st)
}

// subscribeAggregate feeds the Events stream to the aggregate function. The event source
// also grants the stream read permissions and the send to the on-failure queue.
//
// A batch of 1,000 records is what one shard takes in a second, so the 1 s window, not the
// count, closes a batch: each invocation holds a second of its shard, and the rollup
// writes (one per row per batch) are shared by as many events as freshness allows. The
// 6 MB payload limit is never near (a shard takes 1 MB/s).
func subscribeAggregate(aggregate awslambda.Function, st storage) {
	source := awslambdaeventsources.NewKinesisEventSource(st.stream,
		&awslambdaeventsources.KinesisEventSourceProps{
			StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
			BatchSize:               jsii.Number(1000),
			MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(1)),
			BisectBatchOnError:      jsii.Bool(true),
			RetryAttempts:           jsii.Number(5),
			MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(1)),
			ReportBatchItemFailures: jsii.Bool(true),
			// One invocation per shard at a time: each shard's rows of the aggregates
			// table must have one writer applying records in sequence order, or the
			// watermark `wm` stops being a total order (docs/design.md, Aggregates).
			ParallelizationFactor: jsii.Number(1),
			OnFailure:             awslambdaeventsources.NewSqsDlq(st.failures),
		})
	live(aggregate).AddEventSource(source)
}

// newFunction creates a Go function on provided.al2023/arm64 running dist/<folder>/bootstrap,
// with JSON logs into its own log group, and tags it with its folder in the metadata.
func newFunction(
	stack awscdk.Stack, assetDir func(string) string, spec functionSpec,
) awslambda.Function {
	logs := awslogs.NewLogGroup(stack, jsii.String(spec.id+"Logs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH,
	})

	fn := awslambda.NewFunction(stack, jsii.String(spec.id), &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(assetDir(spec.folder)), nil),
		MemorySize:   jsii.Number(spec.memoryMB),
		Timeout:      spec.timeout,
		Environment:  &spec.env,

		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		LogGroup:              logs,
		// Active tracing: Lambda records each sampled invocation under the API Gateway
		// request's trace. With the ADOT collector layer (withCollector) the function's
		// own spans, one per AWS SDK call, join that trace (shared/tracing).
		Tracing: awslambda.Tracing_ACTIVE,

		ReservedConcurrentExecutions: reservedOf(spec),
	})
	withCollector(stack, fn)

	cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.AddMetadata(jsii.String(functionMetadataKey), spec.folder)
	return fn
}

// indexARN returns the ARN of index name of table ("*": all its indexes).
func indexARN(table awsdynamodb.Table, name string) *string {
	return jsii.String(*table.TableArn() + "/index/" + name)
}

// allow adds a statement letting fn perform actions on the one resource ARN.
func allow(fn awslambda.Function, resourceARN *string, actions ...string) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(actions...),
		Resources: &[]*string{resourceARN},
	}))
}

// reservedOf is spec's reserved concurrency for FunctionProps: nil when it has none.
func reservedOf(spec functionSpec) *float64 {
	if spec.reserved == 0 {
		return nil
	}
	return jsii.Number(spec.reserved)
}

// DefaultADOTLayerARN is the ADOT Lambda collector layer (arm64, collector 0.115.0, layer
// version 2) in the stack's region, as AWS publishes it in account 901920570463. CDK
// context adpulse:adotLayerArn replaces it (another version or region list), and "off"
// leaves the functions without collector and their spans off (X-Ray still records the
// invocations).
const DefaultADOTLayerARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:901920570463:" +
	"layer:aws-otel-collector-arm64-ver-0-115-0:2"

// adotLayerContext is the CDK context key of the collector layer's ARN.
const adotLayerContext = "adpulse:adotLayerArn"

// collectorEnv is what shared/tracing needs to send its spans to the layer's collector,
// which receives OTLP over HTTP on localhost:4318 and exports to X-Ray.
var collectorEnv = map[string]string{
	"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318",
	"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
}

// withCollector adds the ADOT collector layer to fn and points its tracing at it, unless
// the context turns the collector off.
func withCollector(stack awscdk.Stack, fn awslambda.Function) {
	arn := contextString(stack, adotLayerContext, DefaultADOTLayerARN)
	if arn == "off" {
		return
	}
	// An imported layer is a reference, not a resource: one per function, as CDK's own
	// AdotInstrumentation does.
	fn.AddLayers(awslambda.LayerVersion_FromLayerVersionArn(fn, jsii.String("AdotCollector"),
		awscdk.Fn_Sub(jsii.String(arn), nil)))
	for k, v := range collectorEnv {
		fn.AddEnvironment(jsii.String(k), jsii.String(v), nil)
	}
}
