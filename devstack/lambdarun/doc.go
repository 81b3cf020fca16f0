// Package lambdarun runs the template's Lambda functions as local processes behind kumo's
// Lambda Runtime API.
//
// For each function it builds the functions/<folder> bootstrap for the host, registers
// the function on kumo (CreateFunction, with the template's timeout), and keeps N bootstrap
// processes polling kumo at AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>/_runtime/<name>, each
// one execution environment handling one invocation at a time, as on Lambda. A bootstrap
// that exits (a panic, os.Exit) is restarted, as Lambda replaces a crashed environment.
// Invocations go through the SDK's lambda.Invoke against kumo, which blocks until a
// bootstrap posts the response and reports a function error in X-Amz-Function-Error.
package lambdarun
