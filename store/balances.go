package store

import (
	"errors"
)

// extBalances keeps, per operator, the last payment whose notification
// printed the MFI account's new balance: the next one is checked against
// it (previous balance + amount = new balance).
const extBalances = "mm_balances" // operator -> Payment

// LastBalance returns the last payment of operator that gave a balance.
func (tx *Tx) LastBalance(operator string) (Payment, bool, error) {
	b, err := tx.Bucket(extBalances)
	if errors.Is(err, ErrNotFound) {
		return Payment{}, false, nil
	} else if err != nil {
		return Payment{}, false, err
	}
	var p Payment
	found, err := getJSON(b, []byte(operator), &p)
	return p, found, err
}

// NoteBalance makes p the operator's last balance and, when flag is not
// empty, sets it on the stored payment p for the accountant.
func (tx *Tx) NoteBalance(p Payment, flag string) error {
	b, err := tx.Bucket(extBalances)
	if err != nil {
		return err
	}
	if err := putJSON(b, []byte(p.Operator), p); err != nil {
		return err
	}
	if flag == "" {
		return nil
	}
	old, found, err := tx.loadPayment(p.Key())
	if err != nil || !found {
		return err
	}
	next := old
	next.Flag = flag
	return tx.savePayment(&old, &next)
}
