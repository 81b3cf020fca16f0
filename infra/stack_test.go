package main

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestPropsDefaults(t *testing.T) {
	// GIVEN no props WHEN defaults apply THEN 2 shards and bootstraps under dist/<function>.
	p := (*AdpulseStackProps)(nil).withDefaults()
	if p.ShardCount != DefaultShardCount || DefaultShardCount != 2 {
		t.Errorf("ShardCount: got %d, want 2", p.ShardCount)
	}
	if got, want := p.AssetDir("ingest"), filepath.Join("dist", "ingest"); got != want {
		t.Errorf("AssetDir(ingest): got %q, want %q", got, want)
	}
	if !slices.Equal(p.CORSOrigins, DefaultCORSOrigins) || len(DefaultCORSOrigins) == 0 {
		t.Errorf("CORSOrigins: got %q, want %q", p.CORSOrigins, DefaultCORSOrigins)
	}
}

func TestStream(t *testing.T) {
	// GIVEN the default stack WHEN synthesized THEN one provisioned 2-shard stream, 24 h,
	// encrypted with the AWS-managed Kinesis key.
	check(t, "one stream", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Kinesis::Stream"), jsii.Number(1))
	})
	check(t, "stream properties", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Kinesis::Stream"), obj{
			"ShardCount":           2,
			"RetentionPeriodHours": 24,
			"StreamModeDetails":    obj{"StreamMode": "PROVISIONED"},
			"StreamEncryption":     obj{"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
		})
	})
}

func TestTables(t *testing.T) {
	ttl := obj{"AttributeName": "expires_at", "Enabled": true}
	pitr := obj{"PointInTimeRecoveryEnabled": true}
	hash := func(name string) obj { return obj{"AttributeName": name, "KeyType": "HASH"} }
	str := func(name string) obj { return obj{"AttributeName": name, "AttributeType": "S"} }
	rng := func(name string) obj { return obj{"AttributeName": name, "KeyType": "RANGE"} }
	absent := assertions.Match_Absent()
	// index is an index with projection ALL on the given key elements.
	index := func(name string, keys ...any) any {
		return obj{"IndexName": name, "KeySchema": keys,
			"Projection": obj{"ProjectionType": "ALL"}}
	}
	cases := []struct {
		id         string
		keys       []any
		attrs      []any
		ttl        any
		gsis, lsis any
		deletion   string
	}{
		{"ApiKeys", []any{hash("key_hash")},
			[]any{str("key_hash"), str("tenant_id"), str("key_id")}, absent,
			[]any{index("by-tenant", hash("tenant_id"), rng("key_id"))}, absent, "Retain"},
		{"Aggregates", []any{hash("pk"), rng("sk")},
			[]any{str("pk"), str("sk")}, ttl, absent, absent, "Retain"},
		{"EventClaims", []any{hash("pk"), rng("sk")},
			[]any{str("pk"), str("sk")}, ttl, absent, absent, "Delete"},
		{"Accounts", []any{hash("pk"), rng("sk")},
			[]any{str("pk"), str("sk")}, ttl, absent, absent, "Retain"},
		{"Campaigns", []any{hash("tenant_id"), rng("campaign_id")},
			[]any{str("tenant_id"), str("campaign_id"), str("created_key"),
				str("updated_key"), str("name_key")}, ttl, absent,
			[]any{index("by_created", hash("tenant_id"), rng("created_key")),
				index("by_updated", hash("tenant_id"), rng("updated_key")),
				index("by_name", hash("tenant_id"), rng("name_key"))}, "Retain"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			// GIVEN the stack WHEN reading table tc.id THEN its keys, billing, PITR, TTL and
			// deletion policy follow docs/design.md.
			id := logicalID(t, "AWS::DynamoDB::Table", tc.id)
			check(t, "table "+tc.id, func() {
				tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), obj{
					"DeletionPolicy": tc.deletion,
					"Properties": obj{
						"KeySchema":                        tc.keys,
						"AttributeDefinitions":             tc.attrs,
						"GlobalSecondaryIndexes":           tc.gsis,
						"LocalSecondaryIndexes":            tc.lsis,
						"BillingMode":                      "PAY_PER_REQUEST",
						"PointInTimeRecoverySpecification": pitr,
						"TimeToLiveSpecification":          tc.ttl,
					},
				})
			})
			if got := field(resources[id], "DeletionPolicy"); got != tc.deletion {
				t.Errorf("%s DeletionPolicy: got %v, want %s", id, got, tc.deletion)
			}
		})
	}
}

func TestFailureQueue(t *testing.T) {
	// GIVEN the stack WHEN reading the queue THEN 14 days, SQS-managed SSE, no redrive, and a
	// policy denying requests without TLS.
	check(t, "queue", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), obj{
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
			"RedrivePolicy":          assertions.Match_Absent(),
		})
	})
	check(t, "enforce SSL", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), obj{
			"PolicyDocument": obj{"Statement": []any{like(obj{
				"Effect":    "Deny",
				"Condition": obj{"Bool": obj{"aws:SecureTransport": "false"}},
			})}},
		})
	})
}

func TestFunctions(t *testing.T) {
	literal := func(s string) any { return s }
	table := func(t *testing.T, id string) any {
		return ref(logicalID(t, "AWS::DynamoDB::Table", id))
	}
	signingKey := func(t *testing.T) any {
		return ref(logicalID(t, "AWS::SecretsManager::Secret", "SigningKey"))
	}
	issuer := func(t *testing.T) any {
		return obj{"Fn::Join": []any{"", []any{"https://",
			ref(logicalID(t, "AWS::ApiGateway::RestApi", "Api")), ".execute-api.",
			ref("AWS::Region"), ".", ref("AWS::URLSuffix")}}}
	}
	cors := literal("http://localhost:5173")
	cases := []struct {
		folder    string
		memoryMB  int
		timeoutS  int
		variables func(t *testing.T) obj
	}{
		{"auth", 1024, 10, func(t *testing.T) obj {
			return obj{
				"ACCOUNTS_TABLE":       table(t, "Accounts"),
				"SIGNING_KEY_SECRET":   signingKey(t),
				"JWT_ISSUER":           issuer(t),
				"JWT_AUDIENCE":         literal("adpulse-management"),
				"CORS_ALLOWED_ORIGINS": cors,
				"LOG_LEVEL":            literal("info"),
			}
		}},
		{"authorizer", 256, 5, func(t *testing.T) obj {
			return obj{
				"ACCOUNTS_TABLE":     table(t, "Accounts"),
				"SIGNING_KEY_SECRET": signingKey(t),
				"JWT_ISSUER":         issuer(t),
				"JWT_AUDIENCE":       literal("adpulse-management"),
				"LOG_LEVEL":          literal("info"),
			}
		}},
		{"admin", 1024, 10, func(t *testing.T) obj {
			return withRateLimit(t, obj{
				"ACCOUNTS_TABLE":       table(t, "Accounts"),
				"API_KEYS_TABLE":       table(t, "ApiKeys"),
				"CORS_ALLOWED_ORIGINS": cors,
				"LOG_LEVEL":            literal("info"),
			})
		}},
		{"campaigns", 512, 10, func(t *testing.T) obj {
			cursor := ref(logicalID(t, "AWS::SecretsManager::Secret", "CursorSecret"))
			return withRateLimit(t, obj{
				"CAMPAIGNS_TABLE": table(t, "Campaigns"),
				// A dynamic reference resolved at deploy time, never a literal.
				"CURSOR_SECRET": obj{"Fn::Join": []any{"", []any{
					"{{resolve:secretsmanager:", cursor, ":SecretString:::}}"}}},
				"CORS_ALLOWED_ORIGINS": cors,
				"LOG_LEVEL":            literal("info"),
			})
		}},
		{"ingest", 512, 10, func(t *testing.T) obj {
			return obj{
				"STREAM_NAME":     ref(logicalID(t, "AWS::Kinesis::Stream", "Events")),
				"API_KEYS_TABLE":  ref(logicalID(t, "AWS::DynamoDB::Table", "ApiKeys")),
				"PARTITION_SALTS": literal("16"),
				"RECORD_CODEC":    literal("s2"),
				"LOG_LEVEL":       literal("info"),
			}
		}},
		{"aggregate", 1024, 60, func(t *testing.T) obj {
			return obj{
				"AGGREGATES_TABLE":   ref(logicalID(t, "AWS::DynamoDB::Table", "Aggregates")),
				"CLAIMS_TABLE":       ref(logicalID(t, "AWS::DynamoDB::Table", "EventClaims")),
				"FAILURE_QUEUE_URL":  ref(logicalID(t, "AWS::SQS::Queue", "IngestFailures")),
				"DEDUP_WINDOW_HOURS": literal("168"),
				"LOG_LEVEL":          literal("info"),
				// Rule evaluation and capping (infra/alerts.go, infra/capping.go).
				"RULES_TABLE":     table(t, "Rules"),
				"CAMPAIGNS_TABLE": table(t, "Campaigns"),
				"NOTIFICATIONS_QUEUE_URL": ref(logicalID(t, "AWS::SQS::Queue",
					"Notifications")),
				"LINK_BASE":     cors,
				"CAPPING_TABLE": table(t, "Capping"),
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.folder, func(t *testing.T) {
			// GIVEN the stack WHEN reading the function tagged adpulse:function=tc.folder
			// THEN arm64 provided.al2023 bootstrap, its sizing, exactly its env, JSON logs,
			// active X-Ray tracing.
			variables := withCollectorEnv(tc.variables(t))
			logGroup := ref(logicalID(t, "AWS::Logs::LogGroup", logsID(tc.folder)))
			check(t, "function "+tc.folder, func() {
				tmpl.HasResource(jsii.String("AWS::Lambda::Function"), obj{
					"Metadata": obj{functionMetadataKey: tc.folder},
					"Properties": obj{
						"Runtime":       "provided.al2023",
						"Architectures": []any{"arm64"},
						"Handler":       "bootstrap",
						"MemorySize":    tc.memoryMB,
						"Timeout":       tc.timeoutS,
						"Environment": obj{
							"Variables": assertions.Match_ObjectEquals(&variables),
						},
						"LoggingConfig": obj{
							"LogFormat":           "JSON",
							"ApplicationLogLevel": "INFO",
							"SystemLogLevel":      "WARN",
							"LogGroup":            logGroup,
						},
						"TracingConfig": obj{"Mode": "Active"},
					},
				})
			})
		})
	}
}

func TestTracing(t *testing.T) {
	// GIVEN the stack WHEN reading every function THEN X-Ray tracing is active and its role
	// may send trace segments and telemetry (actions that take no resource: "*").
	xray := obj{"Effect": "Allow", "Resource": "*",
		"Action": []any{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}}
	policiesOf := map[string][]any{} // role logical id → its policies' statements
	for _, r := range resources {
		if field(r, "Type") != "AWS::IAM::Policy" {
			continue
		}
		statements, _ := field(r, "Properties", "PolicyDocument", "Statement").([]any)
		roles, _ := field(r, "Properties", "Roles").([]any)
		for _, role := range roles {
			if id, ok := field(role, "Ref").(string); ok {
				policiesOf[id] = append(policiesOf[id], statements...)
			}
		}
	}
	n := 0
	for id, r := range resources {
		if field(r, "Type") != "AWS::Lambda::Function" {
			continue
		}
		n++
		if got := field(r, "Properties", "TracingConfig", "Mode"); got != "Active" {
			t.Errorf("%s: TracingConfig.Mode = %v, want Active", id, got)
		}
		getAtt, _ := field(r, "Properties", "Role", "Fn::GetAtt").([]any)
		if len(getAtt) != 2 {
			t.Errorf("%s: role is not a GetAtt of a role in the stack: %v", id, getAtt)
			continue
		}
		role, _ := getAtt[0].(string)
		if !containsJSON(policiesOf[role], xray) {
			t.Errorf("%s: role %s may not put X-Ray segments", id, role)
		}
	}
	if n == 0 {
		t.Error("the stack has no functions")
	}
}

// logsID is the construct id of the log group of the function in folder ("ingest" →
// "IngestLogs"; the campaigns function is CampaignsFunction, the table has Campaigns).
func logsID(folder string) string {
	if folder == "campaigns" {
		return "CampaignsFunctionLogs"
	}
	return strings.ToUpper(folder[:1]) + folder[1:] + "Logs"
}

func TestEventSourceMapping(t *testing.T) {
	// GIVEN the stack WHEN reading the stream → aggregate mapping THEN batches of 100 within
	// 1 s, bisect, 5 retries, 1 h max age, one batch per shard, partial failures reported,
	// and exhausted batches described to IngestFailures.
	check(t, "two mappings: this one and the notifier's (TestNotifierMapping)", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(2))
	})
	stream := logicalID(t, "AWS::Kinesis::Stream", "Events")
	check(t, "mapping properties", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), obj{
			"EventSourceArn":                 arnOf(stream),
			"FunctionName":                   liveFunctionName(t, "aggregate"),
			"StartingPosition":               "TRIM_HORIZON",
			"BatchSize":                      1000,
			"MaximumBatchingWindowInSeconds": 1,
			"BisectBatchOnFunctionError":     true,
			"MaximumRetryAttempts":           5,
			"MaximumRecordAgeInSeconds":      3600,
			"ParallelizationFactor":          1,
			"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
			"DestinationConfig": obj{"OnFailure": obj{
				"Destination": arnOf(logicalID(t, "AWS::SQS::Queue", "IngestFailures")),
			}},
		})
	})
}

func TestAPI(t *testing.T) {
	// GIVEN the stack WHEN reading the REST API THEN binary bodies pass through, stage prod
	// is throttled, access-logged and traced by X-Ray, and only the two POST methods exist.
	check(t, "binary media types", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), obj{
			"BinaryMediaTypes": []any{"*/*"},
		})
	})
	accessLogs := logicalID(t, "AWS::Logs::LogGroup", "ApiAccessLogs")
	jsonFormat := assertions.Match_SerializedJson(like(obj{"status": "$context.status"}))
	check(t, "stage", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), obj{
			"StageName": "prod",
			"MethodSettings": assertions.Match_ArrayWith(&[]any{like(obj{
				"HttpMethod": "*", "ResourcePath": "/*",
				"ThrottlingRateLimit": 10000, "ThrottlingBurstLimit": 5000,
			})}),
			"AccessLogSetting": obj{
				"DestinationArn": arnOf(accessLogs),
				"Format":         jsonFormat,
			},
			"TracingEnabled": true,
		})
	})
	check(t, "every method is a route of this stack", func() {
		n := 2 + len(authRoutes) + len(preflights(authRoutes)) + len(adminRoutes) +
			len(preflights(adminRoutes)) + len(campaignRoutes) + len(campaignPreflights) +
			featureMethods()
		tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::Method"), jsii.Number(n))
	})

	for _, path := range [][]string{{"v1", "events"}, {"v1", "events", "batch"}} {
		t.Run("POST /"+strings.Join(path, "/"), func(t *testing.T) {
			// THEN the path has POST, no API Gateway auth, Lambda proxy to ingest.
			checkMethod(t, route{"POST", strings.Join(path, "/")}, "ingest", nil)
		})
	}
}

// checkMethod asserts that r is one Lambda proxy method invoking the function in folder
// through its alias live, with authorization NONE when authorizer is nil, else CUSTOM by
// that authorizer.
func checkMethod(t *testing.T, r route, folder string, authorizer any) {
	t.Helper()
	props := obj{
		"HttpMethod":        r.method,
		"ResourceId":        ref(apiResourceID(t, strings.Split(r.path, "/")...)),
		"AuthorizationType": "NONE",
		"AuthorizerId":      assertions.Match_Absent(),
		"Integration":       obj{"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST"},
	}
	if authorizer != nil {
		props["AuthorizationType"], props["AuthorizerId"] = "CUSTOM", authorizer
	}
	found := tmpl.FindResources(jsii.String("AWS::ApiGateway::Method"),
		obj{"Properties": props})
	if len(*found) != 1 {
		t.Fatalf("%s /%s with authorizer %v: got %d methods, want 1", r.method, r.path,
			authorizer, len(*found))
	}
	for id, method := range *found {
		join, _ := field(*method, "Properties", "Integration", "Uri", "Fn::Join").([]any)
		var parts []any
		if len(join) == 2 {
			parts, _ = join[1].([]any)
		}
		if !containsJSON(parts, ref(liveAliasID(t, folder))) {
			t.Errorf("%s integration URI does not invoke %s: %v", id, folder, join)
		}
	}
}

func TestReservedConcurrency(t *testing.T) {
	// GIVEN the stack WHEN reading every function THEN Ingest and Reports have their
	// reserved concurrency, no other function reserves any, and the total leaves the
	// 100 unreserved executions AWS requires of a default 1,000-execution account.
	want := map[string]float64{
		"ingest":  ingestReservedConcurrency,
		"reports": reportsReservedConcurrency,
	}
	seen := map[string]bool{}
	var total float64
	for id, r := range resources {
		res, _ := r.(map[string]any)
		if res["Type"] != "AWS::Lambda::Function" {
			continue
		}
		meta, _ := res["Metadata"].(map[string]any)
		folder, _ := meta[functionMetadataKey].(string)
		if folder == "" {
			continue // CDK's own helper functions
		}
		props, _ := res["Properties"].(map[string]any)
		got, _ := props["ReservedConcurrentExecutions"].(float64)
		if got != want[folder] {
			t.Errorf("%s (%s): reserved concurrency %v, want %v", folder, id, got, want[folder])
		}
		seen[folder] = true
		total += got
	}
	for folder := range want {
		if !seen[folder] {
			t.Errorf("no function %s in the template", folder)
		}
	}
	if total > 1000-100 {
		t.Errorf("reserved in all: %v, want at most 900", total)
	}
}

func TestCollectorLayer(t *testing.T) {
	// GIVEN the stack with the default context WHEN reading every function THEN it has the
	// ADOT collector layer of its region and the variables that turn its tracing on
	layer := obj{"Fn::Sub": DefaultADOTLayerARN}
	n := 0
	for id, r := range resources {
		if field(r, "Type") != "AWS::Lambda::Function" {
			continue
		}
		n++
		layers, _ := field(r, "Properties", "Layers").([]any)
		if !containsJSON(layers, layer) {
			t.Errorf("%s: layers %v lack the ADOT collector %v", id, layers, layer)
		}
		for k, want := range collectorEnv {
			if got := field(r, "Properties", "Environment", "Variables", k); got != want {
				t.Errorf("%s: %s = %v, want %q", id, k, got, want)
			}
		}
	}
	if n != len(assetFunctions) {
		t.Errorf("%d functions, want %d", n, len(assetFunctions))
	}
	if !strings.Contains(DefaultADOTLayerARN, "aws-otel-collector-arm64-") {
		t.Errorf("default layer %s is not the arm64 collector", DefaultADOTLayerARN)
	}
}

func TestCollectorLayerFromContext(t *testing.T) {
	cases := []struct {
		name, value string
		want        any // the functions' Layers; nil: none
	}{
		{"another version", "arn:aws:lambda:eu-west-1:901920570463:layer:" +
			"aws-otel-collector-arm64-ver-0-102-1:1", []any{obj{"Fn::Sub": "arn:aws:lambda:" +
			"eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-102-1:1"}}},
		{"off", "off", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// GIVEN context adpulse:adotLayerArn WHEN the stack is synthesized
			app := awscdk.NewApp(&awscdk.AppProps{
				Outdir:  jsii.String(t.TempDir()),
				Context: &map[string]any{adotLayerContext: tc.value}})
			stack := NewAdpulseStack(app, StackID, &AdpulseStackProps{
				AssetDir: func(fn string) string { return filepath.Join(assetRoot, fn) }})
			all := *assertions.Template_FromStack(stack, nil).ToJSON()
			res, _ := all["Resources"].(map[string]any)
			// THEN every function has that layer, or with "off" none and no OTLP endpoint
			for id, r := range res {
				if field(r, "Type") != "AWS::Lambda::Function" {
					continue
				}
				got := field(r, "Properties", "Layers")
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s: layers %v, want %v", id, got, tc.want)
				}
				endpoint := field(r, "Properties", "Environment", "Variables",
					"OTEL_EXPORTER_OTLP_ENDPOINT")
				if (endpoint != nil) != (tc.want != nil) {
					t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT = %v with layers %v", id,
						endpoint, got)
				}
			}
		})
	}
}

// withCollectorEnv adds to a function's expected variables those that point its tracing
// at the ADOT collector layer, which every function has.
func withCollectorEnv(variables obj) obj {
	for k, v := range collectorEnv {
		variables[k] = v
	}
	return variables
}
