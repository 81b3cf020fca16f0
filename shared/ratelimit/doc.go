// Package ratelimit limits how many requests one user of the management API makes per
// window. The counter of each user and window is one DynamoDB item, so every execution
// environment of every management function shares it: a user cannot get around the limit
// by landing on another instance, and the limit holds across campaigns, rules, reports,
// caps and admin together.
//
// The window is fixed (it starts at a multiple of its length), which lets a user send up
// to twice the limit across one window boundary; the stage throttling of API Gateway
// bounds bursts. A refused request costs one conditional write and no
// work. When the table cannot be reached the request is let through and the failure is
// logged: a broken counter must not take the API down with it.
//
// Wrap a function's handler once:
//
//	lambda.Start(ratelimit.Guard(limiter, origins, log, h.Handle))
package ratelimit
