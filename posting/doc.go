// Package posting posts the store's journal to Fineract exactly once.
//
// The handlers journal a posting (store.Tx.AppendJournal) in the same
// transaction that marks the SMS handled; the Worker here drains that
// journal. Exactly once rests on three facts (docs/fineract.md §10):
// an attempt's Idempotency-Key is persisted before its request, so after a
// crash the entry is still "posting" and its outcome is checked before any
// new request; a loan repayment carries a deterministic externalId that
// Fineract keeps unique, and is looked up by it; a savings deposit, which
// has no externalId in Fineract, carries a unique receiptNumber that is
// matched in the account's transactions, and an attempt whose outcome is
// unknown is resent with the same Idempotency-Key.
package posting
