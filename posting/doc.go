// Package posting posts the store's journal to Fineract exactly once.
//
// The handlers journal a posting (store.Tx.AppendJournal) in the same
// transaction that marks the SMS handled; the Worker here drains that
// journal. Exactly once rests on three facts (docs/fineract.md §10):
// an attempt's Idempotency-Key is persisted before its request, so after a
// crash the entry is still "posting" and its outcome is checked before any
// new request; a loan repayment, and a loan disbursement the box paid out
// by mobile money, carries a deterministic externalId that Fineract keeps
// unique, and is looked up by it; a savings deposit (and a
// sheet of deposits), which has no externalId in Fineract, carries a unique
// receiptNumber that is matched among the account's deposits, and an
// attempt whose outcome is unknown (no answer, 425, or a first 500, which
// Fineract can give after it committed) is resent with the same
// Idempotency-Key.
//
// Only Fineract's own answers settle an entry: a plain 404 is a route the
// server lacks, a reversal copy or a reversed repayment is not the posting,
// a posting found for another amount or date goes to a person, and so do a
// key answered "still running" without end and a sheet saved in part.
package posting
