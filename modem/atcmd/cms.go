package atcmd

// CMSClass says whether sending the same message again can help after a
// +CMS ERROR (docs/modem.md §7 Error classes).
type CMSClass int

const (
	// CMSTransient: worth retrying after a pause (network, modem or SIM busy).
	CMSTransient CMSClass = iota
	// CMSPermanent: the same message will fail again (bad number, barring,
	// malformed PDU, SIM missing or locked).
	CMSPermanent
	// CMSMaybeSent: the network may have taken the message after all.
	CMSMaybeSent
)

type cmsCode struct {
	words string // for a person reading the log or the outbox
	class CMSClass
}

// cmsCodes is the one table of +CMS ERROR codes (3GPP TS 27.005 3.2.5 and
// TS 24.011 E.2 cause values as modems report them; docs/modem.md §7).
var cmsCodes = map[int]cmsCode{
	1:   {"the number does not exist", CMSPermanent},
	8:   {"the operator barred this SIM from sending", CMSPermanent},
	10:  {"sending is barred for this SIM (barring, or no credit on some networks)", CMSPermanent},
	21:  {"the network rejected the message (often no prepaid balance, or barring)", CMSPermanent},
	27:  {"the recipient's phone is off or out of coverage", CMSTransient},
	28:  {"the recipient is not known to the network", CMSPermanent},
	29:  {"the network refused the request", CMSPermanent},
	30:  {"the recipient is not known to the network", CMSPermanent},
	38:  {"the network is out of order", CMSTransient},
	41:  {"temporary network failure", CMSTransient},
	42:  {"the network is congested", CMSTransient},
	47:  {"network resources unavailable", CMSTransient},
	50:  {"this SIM has no SMS service", CMSPermanent},
	69:  {"the network does not support this request", CMSPermanent},
	95:  {"the message was malformed", CMSPermanent},
	96:  {"the message was malformed", CMSPermanent},
	97:  {"the message was malformed", CMSPermanent},
	98:  {"the message was malformed", CMSPermanent},
	99:  {"the message was malformed", CMSPermanent},
	111: {"protocol error in the message", CMSPermanent},
	127: {"network interworking error", CMSTransient},
	192: {"the service centre is busy", CMSTransient},
	193: {"this SIM has no subscription at the service centre", CMSPermanent},
	194: {"the service centre failed", CMSTransient},
	195: {"the recipient address is invalid", CMSPermanent},
	196: {"the recipient is barred", CMSPermanent},
	197: {"the service centre says it already has this message", CMSMaybeSent},
	198: {"the service centre does not accept the validity period", CMSPermanent},
	199: {"the service centre does not accept the validity period", CMSPermanent},
	300: {"the modem failed; it will be re-initialised", CMSTransient},
	301: {"another program (often ModemManager) holds the modem's SMS service", CMSTransient},
	302: {"the modem was not ready for sending", CMSTransient},
	303: {"the modem does not support this operation", CMSPermanent},
	304: {"the message PDU was invalid (length or format)", CMSPermanent},
	305: {"invalid text-mode parameter", CMSPermanent},
	310: {"no SIM card is inserted", CMSPermanent},
	311: {"the SIM needs its PIN", CMSPermanent},
	312: {"the SIM needs a phone PIN", CMSPermanent},
	313: {"the SIM card has failed", CMSPermanent},
	314: {"the SIM is busy", CMSTransient},
	315: {"the SIM card is wrong", CMSPermanent},
	316: {"the SIM needs its PUK", CMSPermanent},
	317: {"the SIM needs its PIN2", CMSPermanent},
	318: {"the SIM needs its PUK2", CMSPermanent},
	320: {"the modem's message memory failed", CMSTransient},
	321: {"no message at that memory index", CMSTransient},
	322: {"the modem's message memory is full", CMSTransient},
	330: {"the modem has no SMS service centre number (check AT+CSCA)", CMSTransient},
	331: {"no network service", CMSTransient},
	// The network timed out after taking the message: it may have gone.
	332: {"the network timed out; the message may have been sent", CMSMaybeSent},
	340: {"no acknowledgement was expected", CMSTransient},
	500: {"the modem reported an unknown error (often no network or no credit)", CMSTransient},
	532: {"the SIM is not ready", CMSTransient},
	535: {"the modem is busy", CMSTransient},
}

// CMSMeaning says what a +CMS ERROR code means, in plain words, and whether
// sending again can help. Codes the table lacks: 144-159 are data-coding
// rejections (permanent), 512-521 vendor codes and anything else
// transient, so one unknown code never loses a message.
func CMSMeaning(code int) (words string, class CMSClass) {
	if c, ok := cmsCodes[code]; ok {
		return c.words, c.class
	}
	switch {
	case code >= 144 && code <= 159:
		return "the message's data coding was rejected", CMSPermanent
	case code >= 512 && code <= 521:
		return "vendor-specific modem error", CMSTransient
	}
	return "unrecognised modem error", CMSTransient
}

// CMSWords is the plain-words meaning of a +CMS ERROR code.
func CMSWords(code int) string {
	w, _ := CMSMeaning(code)
	return w
}
