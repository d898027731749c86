package mobilemoney

// mpesa-tz: Vodacom M-Pesa, Tanzania. Same sender ids as Kenya ("MPESA",
// "M-PESA"), told apart by the currency (Tsh, Tshs, TSh, TZS). Each
// receipt comes twice, in English and in Swahili ("<ID> imethibitishwa.
// Umepokea Tshs 4,000.00 kutoka ... tarehe 19/06/2026 saa 22:38:24"),
// under the same transaction id, so the posting side sees one payment.
func init() {
	register("mpesa-tz", func() Parser {
		return newMpesa(Info{
			Name:    "mpesa-tz",
			Senders: []string{"MPESA", "M-PESA"},
			Markets: []Market{{Country: "TZ", Currency: "TZS", Zone: dar}},
		}, `Tshs|Tsh|TShs|TSh|TZS|TSH`, true)
	})
}
