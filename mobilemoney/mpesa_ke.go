package mobilemoney

// mpesa-ke: Safaricom M-PESA, Kenya. Sender "MPESA" ("M-PESA" in some
// phones' display). Wordings read (docs/mobile-money.md): personal wallet
// P2P and B2C ("You have received Ksh... from NAME PHONE on ..."), the
// promotion form with text before the receipt, Pochi la Biashara (no
// phone), till / buy goods and paybill ("on <date> Ksh... received from
// ..."; "Account Number <ref>" or "for account <ref>"), a bank-hosted
// paybill notice ("<ID> completed. You have received KES ..."), reversal
// notices, and payer phones in full (2547..., 07...) or masked as
// Safaricom prints them since March 2026 ("0712***345").
func init() {
	register("mpesa-ke", func() Parser {
		return newMpesa(Info{
			Name:    "mpesa-ke",
			Senders: []string{"MPESA", "M-PESA"},
			Markets: []Market{{Country: "KE", Currency: "KES", Zone: nairobi}},
		}, `Ksh|KES|KSH|Kshs`, false)
	})
}
