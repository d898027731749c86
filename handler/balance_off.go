package handler

import "context"

// BalanceUnavailableText tells a client that balance enquiries are not
// switched on, instead of pretending the keyword is unknown.
const BalanceUnavailableText = "Balance enquiries are not available at this branch yet. Please ask your loan officer."

func init() {
	registerTexts("en", map[string]string{"bal.unavailable": BalanceUnavailableText})
	registerTexts("sw", map[string]string{"bal.unavailable": "Huduma ya salio bado haipatikani katika tawi hili. Tafadhali muulize afisa wako wa mikopo."})
}

// BalanceUnavailable answers BAL while no Fineract link is configured.
type BalanceUnavailable struct{ Env *Env }

// Keywords implements Handler.
func (BalanceUnavailable) Keywords() []string { return []string{"BAL", "BALANCE", "SALIO"} }

// Handle implements Handler.
func (b BalanceUnavailable) Handle(context.Context, Request) Result {
	return Result{Replies: []Reply{{Text: b.Env.texts().Get("bal.unavailable")}}, Note: "balance not configured"}
}
