// Package provision creates the streams, tables and queues of a synthesized template on
// the emulator through the service APIs (kumo's CloudFormation stores stacks but creates
// nothing). Every definition comes from the template; running it twice is harmless.
package provision
