package payments

import (
	"context"
	"errors"
	"sync"

	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/store"
)

// BatchResult is what RecordBatch did with one payment of the batch.
type BatchResult struct {
	Payment store.Payment // as recorded (or as it was, when already known)
	Added   bool          // recorded now; false: already known, seen again
	Err     error         // refused (an *InvalidError) or the store failed
}

// batchMatchers is how many payments of a batch are matched at once: the
// matching is a few Fineract reads each, and a slow link (20 ms and more
// per request) would make a statement of thousands of rows take minutes
// one at a time, while more would crowd the link the SMS path shares.
const batchMatchers = 4

// RecordBatch is Record for many payments at once (a statement import):
// the payments are recorded in one store transaction (one disk sync for
// the batch, not one each), each exactly once as Record does; then the
// new ones are matched and journaled, a few at a time. When Fineract does
// not answer, the rest are not tried: they wait, pending, and Run matches
// them when it answers. Reversal notices are taken as Record takes them
// (a statement's reversal rows).
func (c *Core) RecordBatch(ctx context.Context, in []mobilemoney.Payment) []BatchResult {
	out := make([]BatchResult, len(in))
	valid := make([]int, 0, len(in))
	for i := range in {
		if err := c.check(&in[i]); err != nil {
			out[i].Err = err
			continue
		}
		valid = append(valid, i)
	}
	err := c.DB.Update(func(tx *store.Tx) error {
		for _, i := range valid {
			p, added, err := c.add(tx, in[i])
			if err != nil {
				return err
			}
			out[i].Payment, out[i].Added = p, added
		}
		return nil
	})
	if err != nil {
		for _, i := range valid {
			out[i] = BatchResult{Err: err}
		}
		return out
	}
	var fresh []int
	for _, i := range valid {
		if out[i].Added {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) > 0 {
		c.log().Info("payments recorded", "count", len(fresh), "source", in[fresh[0]].Source, "seen_again", len(valid)-len(fresh))
	}
	c.matchBatch(ctx, out, fresh)
	for _, i := range fresh {
		if again, err := c.DB.Payment(out[i].Payment.Operator, out[i].Payment.TxnID); err == nil {
			out[i].Payment = again
		}
	}
	return out
}

// matchBatch matches the payments out[i] for i in todo, batchMatchers at
// a time, until Fineract fails to answer one.
func (c *Core) matchBatch(ctx context.Context, out []BatchResult, todo []int) {
	if len(todo) == 0 || c.API == nil {
		return
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		wg      sync.WaitGroup
		once    sync.Once
		next    = make(chan int)
		failure error
	)
	for range min(batchMatchers, len(todo)) {
		wg.Go(func() {
			for i := range next {
				mctx, cancel := context.WithTimeout(ctx, recordMatchWait)
				err := c.matchOne(mctx, out[i].Payment.Key())
				cancel()
				if err != nil && !errors.Is(err, context.Canceled) {
					once.Do(func() { failure = err; stop() })
				}
			}
		})
	}
feed:
	for _, i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if failure != nil {
		c.log().Warn("payments wait to be matched until Fineract answers", "err", failure)
	}
}
