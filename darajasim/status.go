package darajasim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// statusBody is a transaction status query.
type statusBody struct {
	Initiator          string
	SecurityCredential string
	CommandID          string
	// TransactionID is the receipt; OriginalConversationID the
	// OriginatorConversationID of the request asked about. One is needed.
	TransactionID          string
	OriginalConversationID string
	// OriginatorConversationID names the query itself; Daraja makes one
	// up when it is absent.
	OriginatorConversationID string
	PartyA                   json.RawMessage
	IdentifierType           json.RawMessage
	ResultURL                string
	QueueTimeOutURL          string
	Remarks                  string
	Occasion                 *string
}

// NoSuchTransaction is the stand-in's result code for a status query about
// a request M-PESA never had (Safaricom documents none for this case).
const NoSuchTransaction = "R000001"

var partyRe = regexp.MustCompile(`^[0-9]{5,12}$`)

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := takeFault(&s.nextQuery)
	s.mu.Unlock()
	if s.early(w, f) {
		return
	}
	var b statusBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&b); err != nil {
		s.gatewayError(w, http.StatusBadRequest, "400.002.05", "Invalid Request Payload")
		return
	}
	if bad := b.validate(); bad != "" {
		s.gatewayError(w, http.StatusBadRequest, "400.002.02", "Bad Request - Invalid "+bad)
		return
	}
	if f.Garbage {
		garbage(w)
		return
	}
	ocid := b.OriginatorConversationID
	if ocid == "" {
		ocid = s.requestID()
	}
	s.mu.Lock()
	conv := s.conversationID(s.now())
	body := s.statusResultBody(b, ocid, conv)
	s.mu.Unlock()
	switch {
	case f.LoseCallback:
	case f.QueueTimeout:
		rec := &b2cRecord{ocid: ocid, conv: conv, initiated: s.now()}
		s.send("status-timeout", b.QueueTimeOutURL, s.queueTimeoutBody(rec, "Occasion", nil), f.DuplicateCallback)
	default:
		s.send("status-result", b.ResultURL, body, f.DuplicateCallback)
	}
	s.hang(w, r, f)
	writeJSON(w, http.StatusOK, map[string]string{
		"OriginatorConversationID": ocid,
		"ConversationID":           conv,
		"ResponseCode":             "0",
		"ResponseDescription":      "Accept the service request successfully.",
	})
}

func (b *statusBody) validate() string {
	pa, _ := scalar(b.PartyA)
	idType, _ := scalar(b.IdentifierType)
	switch {
	case b.Initiator == "":
		return "Initiator"
	case b.SecurityCredential == "":
		return "SecurityCredential"
	case b.CommandID != "TransactionStatusQuery":
		return "CommandID"
	case b.TransactionID == "" && b.OriginalConversationID == "":
		return "TransactionID"
	case !partyRe.MatchString(pa):
		return "PartyA"
	case idType != "1" && idType != "2" && idType != "4":
		return "IdentifierType"
	case !callbackURL(b.ResultURL):
		return "ResultURL"
	case !callbackURL(b.QueueTimeOutURL):
		return "QueueTimeOutURL"
	case utf8.RuneCountInString(b.Remarks) > 100:
		return "Remarks"
	case b.Occasion != nil && utf8.RuneCountInString(*b.Occasion) > 100:
		return "Occasion"
	}
	return ""
}

// statusResultBody is the status result of query b, named ocid/conv;
// s.mu held.
func (s *Server) statusResultBody(b statusBody, ocid, conv string) []byte {
	now := s.now()
	res := result{
		OriginatorConversationID: ocid, ConversationID: conv,
		TransactionID: receiptPrefix(now) + "0000000",
		// The Occasion item comes back without a Value.
		ReferenceData: &referenceData{param{Key: "Occasion"}},
	}
	rec := s.requests[b.OriginalConversationID]
	if b.TransactionID != "" {
		rec = s.receipts[b.TransactionID]
	}
	pa, _ := scalar(b.PartyA)
	switch {
	case b.Initiator != s.opts.InitiatorName || b.SecurityCredential != s.opts.SecurityCredential:
		res.ResultCode, res.ResultDesc = 2001, resultDesc("2001")
	case pa != s.opts.ShortCode:
		res.ResultCode, res.ResultDesc = "SFC_IC0003", "Receiver party is invalid"
	case rec == nil || rec.expired:
		res.ResultCode, res.ResultDesc = NoSuchTransaction, "The original transaction does not exist."
	default:
		res.ResultCode, res.ResultDesc = 0, resultDesc("0")
		stamp := func(t time.Time) string { return t.Format("20060102150405") }
		ps := []param{
			{"DebitPartyName", s.opts.ShortCode + " - " + s.opts.OrgName},
			{"CreditPartyName", rec.phone + " - " + rec.partyBName},
			{"OriginatorConversationID", rec.ocid},
			{"InitiatedTime", stamp(rec.initiated.In(eat))},
			{"DebitAccountType", "Utility Account"},
			{"DebitPartyCharges", "Fee For B2C Payment|KES|" + strconv.FormatInt(s.opts.Fee, 10) + ".00"},
			{Key: "TransactionReason"},
			{"ReasonType", commandIDs[rec.commandID]},
		}
		if rec.paid {
			ps = append(ps, param{"TransactionStatus", "Completed"}, param{"FinalisedTime", stamp(rec.completed.In(eat))},
				param{"Amount", strconv.FormatInt(rec.amount, 10)}, param{"ConversationID", rec.conv},
				param{"ReceiptNo", rec.txID})
		} else {
			ps = append(ps, param{"TransactionStatus", "Failed"}, param{"FinalisedTime", stamp(rec.completed.In(eat))},
				param{"Amount", strconv.FormatInt(rec.amount, 10)}, param{"ConversationID", rec.conv})
		}
		res.ResultParameters = &resultParams{ps}
	}
	body, _ := json.Marshal(envelope{res})
	return body
}
