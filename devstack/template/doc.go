// Package template reads a synthesized CloudFormation template (cdk.out) and resolves its
// intrinsic functions to the physical values of the local stack.
//
// Local physical values follow one rule so that every tool agrees on them: streams,
// tables, queues and functions are named by their logical id (unless the template names
// them with a literal), and ARNs take the form arn:aws:<service>:us-east-1:000000000000:...
// Queue URLs come from the emulator once the queue exists (see Values.Set).
//
// The template is decoded with encoding/json into small structs rather than goformation:
// the local stack needs a handful of properties of six resource types, and keeping the
// intrinsics as raw JSON makes Ref, Fn::GetAtt, Fn::Join and Fn::Sub easy to resolve.
package template
