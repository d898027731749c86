package handler

import "context"

// HelpText is the English list of commands; it fits in two SMS.
const HelpText = "Mifos Edge. Clients: BAL - your loan and savings balances. " +
	"Officers: PAY <PIN> <client> L1=500 S=200 - record payments; " +
	"COLLECT <PIN> <group> ALL [EXCEPT <client>...] - group collection; " +
	"REMIND <PIN> [group] - send arrears reminders. HELP - this list."

func init() {
	registerTexts("en", map[string]string{"help": HelpText})
	registerTexts("sw", map[string]string{"help": "Mifos Edge. Wateja: BAL - salio la mikopo na akiba yako. " +
		"Maafisa: PAY <PIN> <mteja> L1=500 S=200 - rekodi malipo; " +
		"COLLECT <PIN> <kikundi> ALL [EXCEPT <mteja>...] - makusanyo ya kikundi; " +
		"REMIND <PIN> [kikundi] - tuma vikumbusho vya madeni. HELP - orodha hii."})
}

// Help answers HELP with the command list.
type Help struct{ Env *Env }

// Keywords implements Handler.
func (Help) Keywords() []string { return []string{"HELP", "MSAADA"} }

// Handle implements Handler.
func (h Help) Handle(context.Context, Request) Result {
	return Result{Replies: []Reply{{Text: h.Env.texts().Get("help")}}, Note: "help sent"}
}
