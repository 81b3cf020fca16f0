// Package esm is the Kinesis event source mapping of the local stack: kumo stores event
// source mappings but never delivers, so this package reads the stream and invokes the
// function the way Lambda does.
//
// One poller per shard reads in order and keeps one batch in flight (parallelization
// factor 1). A batch closes at BatchSize records, at 6 MB, or when the batching window
// since its first record ends; the poller reads once per second when caught up and at
// once when behind. The function's KinesisEventResponse is read as Lambda reads it with
// ReportBatchItemFailures: no failures is success; otherwise processing resumes at the
// lowest failed sequence number; an empty or unknown itemIdentifier fails the whole
// batch. A function error (invoke error, X-Amz-Function-Error) is retried, bisecting the
// batch when BisectBatchOnFunctionError is set, up to MaximumRetryAttempts; records older
// than MaximumRecordAgeInSeconds are dropped. Whatever is given up is described to the
// on-failure SQS queue in Lambda's message format, and the shard moves on.
//
// Retry accounting, where the AWS documentation leaves room: every invocation of a batch
// counts as one attempt; the two halves of a bisected batch start counting afresh (so a
// poison record is isolated before retries run out); a partial failure that made
// progress also starts the remainder afresh.
package esm
