// Package fineractsim is an in-process stand-in for Apache Fineract (Mifos X)
// for end-to-end tests and the demo. It serves the REST calls the branch
// daemon makes, in Fineract's wire format (shared/fineract/API.md), and it is
// strict: it refuses what real Fineract refuses (no Basic auth, no tenant,
// unknown body keys, dates without dateFormat/locale, future dates, duplicate
// loan-transaction externalIds, savings deposits without paymentTypeId or with
// an externalId), so a daemon cannot pass its tests with sloppy requests.
//
// Writes go through a model of Fineract's command pipeline: the
// Idempotency-Key cache per (action, entity, key), maker-checker, and the
// fault hooks (FailNext, HoldWrites, SetDown, SetLatency). Amounts are exact
// (int64 millionths) and printed with 6 decimals, dates as [y,m,d].
package fineractsim
