// Package devstack runs adpulse's AWS stack on one machine: kumo for Kinesis, DynamoDB
// and SQS; the functions as local bootstrap processes behind kumo's Lambda Runtime API;
// an event source mapping and an API Gateway proxy of its own, both with AWS semantics.
// Everything it creates comes from the synthesized template (cdk.out), never from
// definitions repeated in Go.
//
// Start brings a stack up and Close takes everything down again; the CLI in
// cmd/devstack (make up, make down, make run) and the end-to-end tests both use it.
//
// Sub-packages: template (read and resolve the template), provision (streams, tables,
// queues), lambdarun (function processes), esm (Kinesis event source mapping), apigw
// (REST API proxy and Lambda authorizer), kumo (the emulator process), proc (process
// groups); mgmt holds the end-to-end tests of the management API.
package devstack
