package darajasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// b2cBody is a B2C payment request. Numeric fields are raw: Daraja takes
// them as numbers or as strings ("Amount": "10" in its own sample).
type b2cBody struct {
	OriginatorConversationID string
	InitiatorName            string
	SecurityCredential       string
	CommandID                string
	Amount                   json.RawMessage
	PartyA                   json.RawMessage
	PartyB                   json.RawMessage
	Remarks                  string
	QueueTimeOutURL          string
	ResultURL                string
	// The v3 document spells it Occassion; older ones and SDKs Occasion.
	Occassion *string
	Occasion  *string
}

// b2cRecord is one accepted B2C request and what became of it.
type b2cRecord struct {
	ocid, conv string
	commandID  string
	phone      string
	amount     int64
	paid       bool
	expired    bool   // timed out in the queue unpaid: M-PESA never saw it
	code       string // result code ("0" when paid)
	txID       string // the receipt when paid; a zero-filled id otherwise
	initiated  time.Time
	completed  time.Time
	resultURL  string
	timeoutURL string
	utility    int64 // float left after it, for the result
	charges    int64
	registered bool
	partyBName string
}

var (
	partyBRe   = regexp.MustCompile(`^254[17][0-9]{8}$`)
	shortRe    = regexp.MustCompile(`^[0-9]{5,9}$`)
	wholeRe    = regexp.MustCompile(`^[0-9]+(\.0+)?$`)
	commandIDs = map[string]string{
		"BusinessPayment":  "Business Payment to Customer via API",
		"SalaryPayment":    "Salary Payment via API",
		"PromotionPayment": "Promotion Payment via API",
	}
)

// maxBody caps a request body; Daraja's are a few hundred bytes.
const maxBody = 64 << 10

func (s *Server) b2c(w http.ResponseWriter, r *http.Request, v3 bool) {
	s.mu.Lock()
	f := takeFault(&s.next)
	s.mu.Unlock()
	if s.early(w, f) {
		return
	}
	var b b2cBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&b); err != nil {
		s.gatewayError(w, http.StatusBadRequest, "400.002.05", "Invalid Request Payload")
		return
	}
	amount, partyB, bad := b.validate(v3)
	if bad != "" {
		s.gatewayError(w, http.StatusBadRequest, "400.002.02", "Bad Request - Invalid "+bad)
		return
	}
	s.mu.Lock()
	if pf, ok := s.byPhone[partyB]; ok {
		f = merge(f, pf)
	}
	s.mu.Unlock()
	if s.early(w, f) {
		return
	}
	if f.Garbage {
		garbage(w)
		return
	}
	if b.OriginatorConversationID == "" {
		// v1 callers need not name the request; the proxy does.
		b.OriginatorConversationID = s.requestID()
	}

	s.mu.Lock()
	if _, dup := s.requests[b.OriginatorConversationID]; dup {
		s.mu.Unlock()
		s.gatewayError(w, http.StatusInternalServerError, "500.002.1001", "Duplicate OriginatorConversationID.")
		return
	}
	rec := s.process(b, amount, partyB, f)
	s.mu.Unlock()

	switch {
	case f.LoseCallback:
	case f.QueueTimeout:
		s.send("timeout", rec.timeoutURL, s.queueTimeoutBody(rec, "QueueTimeoutURL", rec.timeoutURL), f.DuplicateCallback)
	default:
		s.send("result", rec.resultURL, s.b2cResultBody(rec), f.DuplicateCallback)
	}
	s.hang(w, r, f)
	writeJSON(w, http.StatusOK, map[string]string{
		"ConversationID":           rec.conv,
		"OriginatorConversationID": rec.ocid,
		"ResponseCode":             "0",
		"ResponseDescription":      "Accept the service request successfully.",
	})
}

// early acts out the faults that stop a request before anything is done.
func (s *Server) early(w http.ResponseWriter, f Fault) bool {
	switch {
	case f.CloseConn:
		closeConn(w)
	case f.Unavailable:
		unavailable(w)
	default:
		return false
	}
	return true
}

// hang holds the answer of a Hang fault until the client gives up (the
// answer is then never written) or HangLimit passes.
func (s *Server) hang(w http.ResponseWriter, r *http.Request, f Fault) {
	if !f.Hang {
		return
	}
	t := time.NewTimer(s.opts.HangLimit)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		panic(http.ErrAbortHandler)
	case <-s.closed:
		panic(http.ErrAbortHandler)
	case <-t.C:
	}
}

func merge(a, b Fault) Fault {
	a.Unavailable = a.Unavailable || b.Unavailable
	a.CloseConn = a.CloseConn || b.CloseConn
	a.Garbage = a.Garbage || b.Garbage
	a.Hang = a.Hang || b.Hang
	a.LoseCallback = a.LoseCallback || b.LoseCallback
	a.DuplicateCallback = a.DuplicateCallback || b.DuplicateCallback
	a.QueueTimeout = a.QueueTimeout || b.QueueTimeout
	a.QueueTimeoutPaid = a.QueueTimeoutPaid || b.QueueTimeoutPaid
	if a.ResultCode == "" {
		a.ResultCode = b.ResultCode
	}
	return a
}

// validate checks what Daraja's gateway checks at once; it returns the
// amount, the 12-digit PartyB and, when bad, the name of the first bad
// field.
func (b *b2cBody) validate(v3 bool) (amount int64, partyB, bad string) {
	amt, _ := scalar(b.Amount)
	pa, _ := scalar(b.PartyA)
	partyB, _ = scalar(b.PartyB)
	occasion := b.Occassion
	if occasion == nil {
		occasion = b.Occasion
	}
	switch {
	case b.InitiatorName == "":
		return 0, "", "InitiatorName"
	case b.SecurityCredential == "":
		return 0, "", "SecurityCredential"
	case commandIDs[b.CommandID] == "":
		return 0, "", "CommandID"
	case !wholeRe.MatchString(amt):
		return 0, "", "Amount"
	case !shortRe.MatchString(pa):
		return 0, "", "PartyA"
	case !partyBRe.MatchString(partyB):
		return 0, "", "PartyB"
	case utf8.RuneCountInString(b.Remarks) < 2 || utf8.RuneCountInString(b.Remarks) > 100:
		return 0, "", "Remarks"
	case !callbackURL(b.QueueTimeOutURL):
		return 0, "", "QueueTimeOutURL"
	case !callbackURL(b.ResultURL):
		return 0, "", "ResultURL"
	case occasion != nil && utf8.RuneCountInString(*occasion) > 100:
		return 0, "", "Occasion"
	case v3 && b.OriginatorConversationID == "":
		return 0, "", "OriginatorConversationID"
	}
	whole, _, _ := bytes.Cut([]byte(amt), []byte("."))
	n, err := strconv.ParseInt(string(whole), 10, 64)
	if err != nil || n <= 0 {
		return 0, "", "Amount"
	}
	return n, partyB, ""
}

// scalar reads a JSON string or number as text; ok false when absent or null.
func scalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

func callbackURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// process decides an accepted request's fate, pays it if it is paid and
// records it; s.mu held.
func (s *Server) process(b b2cBody, amount int64, phone string, f Fault) *b2cRecord {
	now := s.now()
	pa, _ := scalar(b.PartyA)
	rec := &b2cRecord{
		ocid: b.OriginatorConversationID, conv: s.conversationID(now), commandID: b.CommandID,
		phone: phone, amount: amount, initiated: now, completed: now,
		resultURL: b.ResultURL, timeoutURL: b.QueueTimeOutURL,
	}
	cust, known := s.customer(phone)
	rec.registered, rec.partyBName = !cust.Unregistered, cust.Name
	day := phone + now.In(eat).Format("20060102")
	switch {
	case b.InitiatorName != s.opts.InitiatorName || b.SecurityCredential != s.opts.SecurityCredential:
		rec.code = "2001"
	case pa != s.opts.ShortCode:
		rec.code = "2028"
	case f.ResultCode != "":
		rec.code = f.ResultCode
	case !known:
		rec.code = "SFC_IC0003"
	case cust.Unregistered:
		rec.code = "2040"
	case amount < s.opts.MinAmount:
		rec.code = "2"
	case amount > s.opts.MaxAmount:
		rec.code = "3"
	case s.received[day]+amount > s.opts.DailyLimit:
		rec.code = "4"
	case amount > s.float:
		rec.code = "1"
	default:
		rec.code = "0"
	}
	if f.QueueTimeout && !(f.QueueTimeoutPaid && rec.code == "0") {
		// It expired in the queue: M-PESA never saw it.
		rec.code, rec.expired = "", true
	}
	rec.paid = rec.code == "0"
	if rec.paid {
		s.float -= amount
		s.charges -= s.opts.Fee
		s.received[day] += amount
		rec.txID = s.receipt(now)
		s.payments = append(s.payments, Payment{
			OriginatorConversationID: rec.ocid, ConversationID: rec.conv, Receipt: rec.txID,
			Phone: phone, Amount: amount, At: now,
		})
	} else {
		rec.txID = receiptPrefix(now) + "0000000"
	}
	rec.utility, rec.charges = s.float, s.charges
	s.requests[rec.ocid] = rec
	if rec.paid {
		s.receipts[rec.txID] = rec
	}
	return rec
}

// customer is the wallet at phone; known false when Options.Customers is
// set and does not hold it.
func (s *Server) customer(phone string) (Customer, bool) {
	if s.opts.Customers == nil {
		return Customer{Name: madeUpName(phone)}, true
	}
	c, ok := s.opts.Customers[phone]
	if ok && c.Name == "" {
		c.Name = madeUpName(phone)
	}
	return c, ok
}

func madeUpName(phone string) string {
	first := []string{"JANE", "JOHN", "MARY", "PETER", "GRACE", "JOSEPH", "ANN", "DAVID"}
	last := []string{"WANJIKU", "OTIENO", "MUTUA", "CHEBET", "KAMAU", "ACHIENG", "KIPROP", "NJERI"}
	n := 0
	for _, c := range phone {
		n = n*31 + int(c)
	}
	if n < 0 {
		n = -n
	}
	return first[n%len(first)] + " " + last[(n/7)%len(last)]
}

// resultDescs are M-PESA's descriptions of the B2C result codes.
var resultDescs = map[string]string{
	"0":          "The service request is processed successfully.",
	"1":          "The balance is insufficient for the transaction.",
	"2":          "Declined due to limit rule: less than the minimum transaction amount.",
	"3":          "Declined due to limit rule: greater than the maximum transaction amount.",
	"4":          "Declined due to limit rule: would exceed daily transfer limit.",
	"8":          "Declined due to limit rule: would exceed the maximum balance.",
	"11":         "The DebitParty is in an invalid state.",
	"15":         "Duplicate detected.",
	"17":         "Internal Failure",
	"21":         "The initiator is not allowed to initiate this request.",
	"26":         "System busy. The service request is rejected.",
	"2001":       "The initiator information is invalid.",
	"2006":       "Declined due to account rule: The account status does not allow this transaction.",
	"2028":       "The request is not permitted according to product assignment.",
	"2040":       "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
	"8006":       "The security credential is locked.",
	"SFC_IC0003": "The operator does not exist.",
}

func resultDesc(code string) string {
	if d, ok := resultDescs[code]; ok {
		return d
	}
	return "The service request failed."
}

// resultCode is a code as M-PESA writes it in JSON: a number when it is
// one, otherwise a string ("SFC_IC0003").
func resultCode(code string) any {
	if n, err := strconv.Atoi(code); err == nil {
		return n
	}
	return code
}

type envelope struct {
	Result result `json:"Result"`
}

type result struct {
	ResultType               int            `json:"ResultType"`
	ResultCode               any            `json:"ResultCode"`
	ResultDesc               string         `json:"ResultDesc"`
	OriginatorConversationID string         `json:"OriginatorConversationID"`
	ConversationID           string         `json:"ConversationID"`
	TransactionID            string         `json:"TransactionID"`
	ResultParameters         *resultParams  `json:"ResultParameters,omitempty"`
	ReferenceData            *referenceData `json:"ReferenceData,omitempty"`
}

type resultParams struct {
	// ResultParameter is []param, or one param (the single-item quirk).
	ResultParameter any `json:"ResultParameter"`
}

type referenceData struct {
	ReferenceItem param `json:"ReferenceItem"`
}

type param struct {
	Key   string `json:"Key"`
	Value any    `json:"Value,omitempty"` // absent on some keys
}

// queueURL is what Daraja puts in the B2C result's ReferenceData.
const queueURL = "https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"

func money(kes int64) json.Number { return json.Number(fmt.Sprintf("%d.00", kes)) }

func (s *Server) b2cResultBody(rec *b2cRecord) []byte {
	res := result{
		ResultCode: resultCode(rec.code), ResultDesc: resultDesc(rec.code),
		OriginatorConversationID: rec.ocid, ConversationID: rec.conv, TransactionID: rec.txID,
		ReferenceData: &referenceData{param{Key: "QueueTimeoutURL", Value: queueURL}},
	}
	switch {
	case rec.paid:
		registered := "Y"
		if !rec.registered {
			registered = "N"
		}
		res.ResultParameters = &resultParams{[]param{
			{"TransactionAmount", rec.amount},
			{"TransactionReceipt", rec.txID},
			{"ReceiverPartyPublicName", rec.phone + " - " + rec.partyBName},
			{"TransactionCompletedDateTime", rec.completed.In(eat).Format("02.01.2006 15:04:05")},
			{"B2CUtilityAccountAvailableFunds", money(rec.utility)},
			{"B2CWorkingAccountAvailableFunds", money(0)},
			{"B2CRecipientIsRegisteredCustomer", registered},
			{"B2CChargesPaidAccountAvailableFunds", money(rec.charges)},
		}}
	case rec.code == "2001" || rec.code == "8006":
		// The credential failures carry one parameter, as an object.
		n, _ := strconv.ParseInt(rec.completed.In(eat).Format("20060102150405"), 10, 64)
		res.ResultParameters = &resultParams{param{Key: "BOCompletedTime", Value: n}}
	}
	body, _ := json.Marshal(envelope{res})
	return body
}

// queueTimeoutBody is the notice posted to QueueTimeOutURL.
func (s *Server) queueTimeoutBody(rec *b2cRecord, key string, value any) []byte {
	body, _ := json.Marshal(envelope{result{
		ResultType: 1, ResultCode: 1, ResultDesc: "The service request has timed out.",
		OriginatorConversationID: rec.ocid, ConversationID: rec.conv, TransactionID: receiptPrefix(rec.initiated) + "0000000",
		ReferenceData: &referenceData{param{Key: key, Value: value}},
	}})
	return body
}

// receiptPrefix is how an M-PESA receipt starts: a letter for the year
// (S = 2024), one for the month (A = January), the day (1–9, then A = 10).
func receiptPrefix(t time.Time) string {
	t = t.In(eat)
	const days = "123456789ABCDEFGHIJKLMNOPQRSTUV"
	return string(rune('A'+(t.Year()-2006)%26)) + string(rune('A'+int(t.Month())-1)) + string(days[t.Day()-1])
}

// receipt is a new 10-character receipt like "TJ56H6J1WU"; s.mu held.
func (s *Server) receipt(now time.Time) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for {
		b := []byte(receiptPrefix(now))
		for range 7 {
			b = append(b, chars[s.rng.IntN(len(chars))])
		}
		if r := string(b); !s.used[r] && r[3:] != "0000000" {
			s.used[r] = true
			return r
		}
	}
}

// conversationID is M-PESA's id of a request, like
// "AG_20240706_20106e9209f64bebd05b"; s.mu held.
func (s *Server) conversationID(now time.Time) string {
	for {
		id := fmt.Sprintf("AG_%s_%04x%016x", now.In(eat).Format("20060102"), 0x2010, s.rng.Uint64())
		if !s.used[id] {
			s.used[id] = true
			return id
		}
	}
}
