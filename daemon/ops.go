package daemon

// The operations the daemon answers on its control socket. CLI commands
// name them by these constants; the daemon registers its handlers under
// them (controlops.go, officerops.go, cacheops.go).
const (
	OpSend            = "send"
	OpStatus          = "status"
	OpMessages        = "messages"
	OpOutbox          = "outbox"
	OpRequeue         = "requeue"
	OpRemind          = "remind"
	OpJournal         = "journal"
	OpJournalRequeue  = "journal.requeue"
	OpClientPINSet    = "client_pin.set"
	OpOfficerAdd      = "officer.add"
	OpOfficerList     = "officer.list"
	OpOfficerRemove   = "officer.remove"
	OpOfficerResetPIN = "officer.reset_pin"
	OpOfficerUnlock   = "officer.unlock"
	OpCacheFlush      = "cache.flush"
	// OpBackup writes a copy of the store into the file passed with the
	// request (control.CallWithFile).
	OpBackup = "store.backup"
	// The API token operations carry the token's hash, never its text.
	OpTokenAdd    = "token.add"
	OpTokenList   = "token.list"
	OpTokenRevoke = "token.revoke"
	// Mobile-money payments: the list, and a person's assignment of one in suspense.
	OpPayments      = "payments"
	OpPaymentAssign = "payments.assign"
)
