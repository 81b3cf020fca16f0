// Package parallel runs independent pieces of one batch's work on a bounded number of
// goroutines (DynamoDB calls of a Lambda invocation, mostly), so a batch takes about as
// long as its slowest call rather than the sum of all.
package parallel

import "golang.org/x/sync/errgroup"

// ForEach runs fn(0), ..., fn(n-1) on at most workers goroutines (at least one) and
// returns when every call has returned. fn records its own outcome, typically in a slice
// slot of its index, so calls need no lock to report.
func ForEach(workers, n int, fn func(int)) {
	var g errgroup.Group
	g.SetLimit(max(1, workers))
	for i := range n {
		g.Go(func() error {
			fn(i)
			return nil
		})
	}
	_ = g.Wait() // fn reports its own failures: the group never sees an error
}
