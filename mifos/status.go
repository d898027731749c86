package mifos

// Status ids Fineract gives clients, loans and savings accounts (the
// status.id of each record; see docs/fineract.md §1.7). The daemon
// only ever acts on active records.
const (
	StatusPending  = 100 // submitted, awaiting approval
	StatusApproved = 200 // approved, not yet disbursed or activated
	StatusActive   = 300
)

// Active reports whether a record's status id is active. A missing status
// (0, a reply without the field) is not active: money is never moved, nor
// a balance told, for a record whose state is not known.
func Active(statusID int) bool { return statusID == StatusActive }
