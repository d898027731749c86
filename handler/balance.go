package handler

import "context"

// BalanceUnavailableText tells a client that balance enquiries are not yet
// switched on, instead of pretending the keyword is unknown.
const BalanceUnavailableText = "Balance enquiries are not available at this branch yet. Please ask your loan officer."

// BalanceUnavailable answers BAL until the Fineract link replaces it.
type BalanceUnavailable struct{}

// Keywords implements Handler.
func (BalanceUnavailable) Keywords() []string { return []string{"BAL", "BALANCE"} }

// Handle implements Handler.
func (BalanceUnavailable) Handle(context.Context, Request) Result {
	return Result{Replies: []Reply{{Text: BalanceUnavailableText}}, Note: "balance not configured"}
}
