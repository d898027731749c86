package store

import (
	"encoding/binary"
	"errors"
)

// extPaymentCounts keeps how many payments are in each state, updated with
// every change of state, so /metrics can say how many wait in suspense
// without reading every payment at each scrape.
const extPaymentCounts = "payment_counts" // state -> uint64

// countPaymentState moves one payment from old's state (none when old is
// nil) to state.
func (tx *Tx) countPaymentState(old *Payment, state PaymentState) error {
	b, err := tx.Bucket(extPaymentCounts)
	if err != nil {
		return err
	}
	add := func(s PaymentState, d int64) error {
		n := int64(0)
		if v := b.Get([]byte(s)); len(v) == 8 {
			n = int64(binary.BigEndian.Uint64(v))
		}
		n = max(n+d, 0)
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, uint64(n))
		return b.Put([]byte(s), v)
	}
	if old != nil {
		if err := add(old.State, -1); err != nil {
			return err
		}
	}
	return add(state, 1)
}

// PaymentCounts returns how many payments are in each state.
func (db *DB) PaymentCounts() (map[PaymentState]int, error) {
	out := make(map[PaymentState]int, len(PaymentStates))
	for _, s := range PaymentStates {
		out[s] = 0
	}
	err := db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extPaymentCounts)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				out[PaymentState(k)] = int(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
	return out, err
}
