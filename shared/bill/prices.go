package bill

// Price is one line of the price table.
type Price struct {
	USD    float64 // dollars per Per units
	Per    float64 // how many units USD buys, e.g. 1e6 for "per million"
	Unit   string  // what is counted
	Source string  // where the price was read
	Status string  // Verified: read at Source on PricesDate; Assumed: not verified there
}

// Status values of Price.
const (
	Verified = "verified"
	Assumed  = "assumed"
)

// Each returns the price of one unit.
func (p Price) Each() float64 { return p.USD / p.Per }

// Prices is a price table for one region.
type Prices struct {
	Region string
	Date   string // when the table was checked

	APIGatewayREST   Price // per request, first 333 million a month
	LambdaRequests   Price // per invocation
	LambdaGBSecondsA Price // per GB-second, arm64, first 7.5 billion GB-s a month
	KinesisShardHour Price // provisioned shard-hour
	KinesisPUTUnits  Price // provisioned PUT payload units of 25 KB
	KinesisODStream  Price // on-demand stream-hour
	KinesisODDataIn  Price // on-demand GB in, each record rounded up to 1 KB
	KinesisODDataOut Price // on-demand GB read
	DynamoWRU        Price // on-demand write request unit
	DynamoRRU        Price // on-demand read request unit
	DynamoStorage    Price // GB-month, standard table class
	SQSRequests      Price // standard queue, per 64 KB request
	SESMessages      Price // per message (recipient) sent
}

// Sources of the prices below.
const (
	srcAPIGW  = "https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html"
	srcLambda = "https://aws.amazon.com/lambda/pricing/ " +
		"(figures as quoted by https://cloudchipr.com/blog/aws-lambda-pricing)"
	srcKinesis = "https://aws.amazon.com/kinesis/data-streams/pricing/"
	srcDynamo  = "https://aws.amazon.com/dynamodb/pricing/on-demand/ (figures as quoted by " +
		"https://airbyte.com/data-engineering-resources/dynamodb-pricing, " +
		"after the November 2024 cut)"
	srcDynamoSt = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
	srcSQS      = "https://aws.amazon.com/sqs/pricing/ (figures as quoted by " +
		"https://cloudburn.io/blog/amazon-sqs-pricing, March 2026)"
	srcSES = "https://aws.amazon.com/ses/pricing/ (figure as quoted by " +
		"https://www.acecloudinterviews.com/tutorials/aws/ses/)"
)

// USEast1 is the us-east-1 on-demand price table. A price marked Assumed is the
// well-known list price, not read from its source when the table was dated: check it
// before quoting a bill.
var USEast1 = Prices{
	Region: "us-east-1",
	Date:   "2026-12-03",

	APIGatewayREST: Price{3.50, 1e6, "REST API request", srcAPIGW, Verified},
	LambdaRequests: Price{0.20, 1e6, "Lambda invocation", srcLambda, Verified},
	LambdaGBSecondsA: Price{0.0000133334, 1, "Lambda GB-second (arm64)", srcLambda,
		Verified},
	KinesisShardHour: Price{0.015, 1, "Kinesis shard-hour (provisioned)", srcKinesis, Assumed},
	KinesisPUTUnits:  Price{0.014, 1e6, "Kinesis PUT payload unit (25 KB)", srcKinesis, Assumed},
	KinesisODStream:  Price{0.04, 1, "Kinesis on-demand stream-hour", srcKinesis, Assumed},
	KinesisODDataIn:  Price{0.08, 1, "Kinesis on-demand GB in", srcKinesis, Assumed},
	KinesisODDataOut: Price{0.04, 1, "Kinesis on-demand GB out", srcKinesis, Assumed},
	DynamoWRU:        Price{0.625, 1e6, "DynamoDB write request unit", srcDynamo, Verified},
	DynamoRRU:        Price{0.125, 1e6, "DynamoDB read request unit", srcDynamo, Verified},
	DynamoStorage:    Price{0.25, 1, "DynamoDB GB-month", srcDynamoSt, Assumed},
	SQSRequests:      Price{0.40, 1e6, "SQS request (64 KB)", srcSQS, Verified},
	SESMessages:      Price{0.10, 1e3, "SES message", srcSES, Verified},
}

// Table lists the prices in a fixed order, for printing.
func (p Prices) Table() []Price {
	return []Price{p.APIGatewayREST, p.LambdaRequests, p.LambdaGBSecondsA, p.KinesisShardHour,
		p.KinesisPUTUnits, p.KinesisODStream, p.KinesisODDataIn, p.KinesisODDataOut,
		p.DynamoWRU, p.DynamoRRU, p.DynamoStorage, p.SQSRequests, p.SESMessages}
}
