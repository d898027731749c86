// Package darajasim is an in-process stand-in for Safaricom's Daraja API,
// the three calls a B2C disbursement makes (docs/disbursement.md, "Daraja
// B2C"): the OAuth token, the B2C payment request and the transaction
// status query. It answers in Daraja's wire format, quirks included, so a
// provider that passes here has met the shapes the real API sends:
//
//   - the token's expires_in is the string "3599" (Options.ExpiresInNumber
//     for the number form), and a new token invalidates the previous one;
//   - gateway errors are {"requestId","errorCode","errorMessage"}, an
//     expired or replaced token is 401 404.001.03, a second request with an
//     OriginatorConversationID already seen is 500.002.1001 and is never
//     paid;
//   - the payment's outcome comes later, POSTed to ResultURL: ResultCode a
//     number (a string for SFC_IC0003), ResultParameter an array, but a
//     single object in the 2001 failure, no ResultParameters on the other
//     failures, ReferenceItem an object, TransactionCompletedDateTime as
//     dd.MM.yyyy HH:mm:ss in East Africa Time;
//   - a wrong initiator name or security credential is accepted at once and
//     fails later with 2001, a PartyA other than the shortcode with 2028;
//   - the status result's outer OriginatorConversationID is the query's
//     own, the original request's is a ResultParameter; Amount there is a
//     string and the Occasion ReferenceItem has no Value.
//
// Amounts are whole Kenya shillings throughout (Float, Payment.Amount),
// as Daraja takes them.
//
// Faults (faults.go) are set while it runs: one-shot (FailNext,
// FailNextQuery) or per phone (FailPhone), and SetDown for every call.
// Payments, Requests, Float and Deliveries let a test prove what was paid,
// how often, and what was posted back.
//
// Choices of the stand-in where Safaricom documents nothing (documented in
// docs/disbursement.md): a status query about an OriginatorConversationID
// it never received (or one whose request expired in the queue unpaid)
// fails with ResultCode "R000001"; a query about a request that failed
// answers TransactionStatus "Failed"; the queue time-out notice carries
// ResultType 1 and ResultCode 1 (not "insufficient balance": the URL it
// arrives on says what it is); an undelivered callback (error or non-2xx)
// is posted again up to Options.CallbackRetries times.
package darajasim
