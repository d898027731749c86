// Package fineractsim is an in-process stand-in for Apache Fineract (Mifos X)
// for end-to-end tests, in-process specs and the demo. It serves exactly the
// REST calls the branch daemon makes (docs/fineract.md), in Fineract's wire
// format, and it is strict: it refuses what real Fineract refuses (no Basic
// auth, a missing or unknown tenant, unknown body keys, dates without
// dateFormat/locale, future dates, inactive accounts, duplicate
// loan-transaction externalIds, savings deposits without paymentTypeId or
// with an externalId, sheets off the meeting dates), so a daemon cannot
// pass its tests with sloppy requests.
//
// Writes go through a model of Fineract's command pipeline: the
// Idempotency-Key cache per (action, entity, key), 425 while a command
// runs, maker-checker (held commands a checker approves or rejects, and
// their audits), and the fault hooks (FailNext, FailAfterCommit,
// CrashNext, HoldWrites, SetDown, SetLatency). Amounts are exact (int64 millionths) and printed with 6
// decimals, dates as [y,m,d].
//
// Each account has a currency (KES unless set) and what is posted is
// rounded as Fineract's Money.of does, inMultiplesOf included.
//
// Options.Before19 serves as a Fineract 1.8 does (no external-id routes,
// no Idempotency-Key).
//
// App users (users.go) sign in and act as themselves, seeing their office
// and the offices below it; loan applications are listed, approved,
// rejected and disbursed with Fineract's rules (approval.go); committed
// commands are posted to Web hooks (hooks.go); and Fineract's two SMS jobs
// talk to a message gateway (smsgateway.go).
//
// It is not Fineract: it serves only the calls the box and its tests
// make, and has a few error codes of its own.
// docs/fineract.md §12 lists every known difference, so that passing here
// is not taken for proof against a real server.
package fineractsim
