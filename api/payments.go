package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/web"
)

// Payments records a payment reported by an integrator (payments.Core):
// exactly once per operator and transaction id, added false when it was
// recorded before. A refusal of the input is an error with a Field method.
type Payments interface {
	Record(ctx context.Context, p mobilemoney.Payment) (store.Payment, bool, error)
}

// PaymentRequest is the body of POST /api/v1/payments.
type PaymentRequest struct {
	Operator string `json:"operator"`
	TxnID    string `json:"txn_id"`
	// Amount is a JSON number or a string ("1050.50", "1,050.50"), read exactly.
	Amount     json.RawMessage `json:"amount"`
	Currency   string          `json:"currency"`
	AccountRef string          `json:"account_ref"`
	PayerPhone string          `json:"payer_phone,omitempty"`
	PayerName  string          `json:"payer_name,omitempty"`
	Time       string          `json:"time,omitempty"` // RFC 3339, the operator's time
}

// Payment is a payment as the API, the webhooks and `mifos-edge payments
// --json` show it.
type Payment struct {
	Operator       string        `json:"operator"`
	TxnID          string        `json:"txn_id"`
	Kind           string        `json:"kind"`
	Amount         mifos.Amount  `json:"amount"`
	Currency       string        `json:"currency"`
	PayerPhone     string        `json:"payer_phone"` // as printed, maybe masked
	PayerName      string        `json:"payer_name"`
	AccountRef     string        `json:"account_ref"`
	Time           string        `json:"time"` // RFC 3339 with the operator's offset; "" when not given
	NewBalance     *mifos.Amount `json:"new_balance"`
	State          string        `json:"state"`
	Reason         string        `json:"reason"`
	ClientID       *int64        `json:"client_id"`
	AccountNo      string        `json:"account_no"`
	FineractTxnID  *int64        `json:"fineract_txn_id"` // the first; all in fineract_txn_ids
	FineractTxnIDs []int64       `json:"fineract_txn_ids"`
	Source         string        `json:"source"`
	SeenAgain      []string      `json:"seen_again"` // the sources of later arrivals
	ReceivedAt     time.Time     `json:"received_at"`
}

// PaymentOf is the view of a stored payment.
func PaymentOf(p store.Payment) Payment {
	v := Payment{Operator: p.Operator, TxnID: p.TxnID, Kind: p.Kind, Amount: mifos.Amount(p.Amount), Currency: p.Currency,
		PayerPhone: p.PayerPhone, PayerName: p.PayerName, AccountRef: p.AccountRef, State: string(p.State), Reason: p.Reason,
		AccountNo: p.AccountNo, FineractTxnIDs: append([]int64{}, p.FineractTxnIDs...), Source: p.Source, SeenAgain: []string{},
		ReceivedAt: p.ReceivedAt}
	if !p.Time.IsZero() {
		v.Time = p.Time.Format(time.RFC3339)
	}
	if p.HasBalance {
		b := mifos.Amount(p.NewBalance)
		v.NewBalance = &b
	}
	if p.ClientID != 0 {
		id := p.ClientID
		v.ClientID = &id
	}
	if len(p.FineractTxnIDs) > 0 {
		id := p.FineractTxnIDs[0]
		v.FineractTxnID = &id
	}
	if p.State == store.PaymentPending && !p.Matched && p.Reason == "" {
		v.Reason = "waiting for Mifos to answer, to match it to an account"
	}
	for _, s := range p.SeenAgain {
		v.SeenAgain = append(v.SeenAgain, s.Source)
	}
	return v
}

// readAmount reads a JSON number or string exactly; more than 6 decimals,
// exponents, negatives and anything else are refused.
func readAmount(raw json.RawMessage) (mifos.Amount, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, errors.New(`"amount" is required, e.g. 1050.50 or "1050.50"`)
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, errors.New(`"amount" is not a JSON string or number`)
		}
	}
	a, err := mifos.ParseAmount(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New(`"amount": ` + err.Error())
	}
	if a <= 0 {
		return 0, errors.New(`"amount" must be more than zero`)
	}
	return a, nil
}

// reportPayment records a payment from an external channel. The
// operator's transaction id is the idempotency key: a second report of it
// answers 200 with the payment as it stands, and is posted no second time.
func (s *Server) reportPayment(w http.ResponseWriter, r *http.Request) {
	if s.Payments == nil {
		web.Error(w, http.StatusServiceUnavailable, "mobile money is off on this box ([mobile_money] operators and [mifos] are needed)")
		return
	}
	var req PaymentRequest
	if status, err := web.DecodeJSON(r, &req, true); err != nil {
		web.Error(w, status, err.Error())
		return
	}
	amount, err := readAmount(req.Amount)
	if err != nil {
		web.Error(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	p := mobilemoney.Payment{Operator: req.Operator, Kind: mobilemoney.KindPayment, TxnID: req.TxnID, Amount: amount,
		Currency: strings.TrimSpace(req.Currency), PayerPhone: strings.TrimSpace(req.PayerPhone), PayerName: strings.TrimSpace(req.PayerName),
		AccountRef: strings.TrimSpace(req.AccountRef), Source: "api"}
	if req.Time != "" {
		if p.Time, err = time.Parse(time.RFC3339, req.Time); err != nil {
			web.Error(w, http.StatusUnprocessableEntity, `"time": `+strconv.Quote(req.Time)+` is not RFC 3339 with an offset, e.g. "2026-04-02T14:05:00+03:00"`)
			return
		}
		if p.Time.After(time.Now().Add(24 * time.Hour)) {
			web.Error(w, http.StatusUnprocessableEntity, `"time" is in the future`)
			return
		}
	}
	// The same id with other figures is not a retry: refused, nothing noted.
	if prev, err := s.DB.Payment(p.Operator, strings.ToUpper(strings.TrimSpace(p.TxnID))); err == nil &&
		(mifos.Amount(prev.Amount) != amount || prev.Currency != p.Currency) {
		web.Error(w, http.StatusConflict, "transaction "+prev.TxnID+" was reported before with "+prev.Currency+" "+mifos.Amount(prev.Amount).String()+
			"; a transaction id names one payment")
		return
	}
	rec, added, err := s.Payments.Record(r.Context(), p)
	switch {
	case err != nil && isInvalid(err):
		web.Error(w, http.StatusUnprocessableEntity, err.Error())
		return
	case err != nil:
		web.Error(w, http.StatusServiceUnavailable, "the box could not record the payment (store error); nothing was recorded, try again")
		return
	}
	if !added && (mifos.Amount(rec.Amount) != amount || rec.Currency != p.Currency) {
		// Raced past the check above: the other figures are flagged on the
		// payment, and this call is refused like any other conflict.
		web.Error(w, http.StatusConflict, "transaction "+rec.TxnID+" was reported before with "+rec.Currency+" "+mifos.Amount(rec.Amount).String()+
			"; a transaction id names one payment")
		return
	}
	w.Header().Set("Location", Prefix+"payments/"+rec.Operator+"/"+rec.TxnID)
	status := http.StatusAccepted
	if !added {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	web.JSON(w, status, PaymentOf(rec))
}

// isInvalid: a refusal of the input (payments.InvalidError), which names
// its field.
func isInvalid(err error) bool {
	var f interface{ InvalidField() string }
	return errors.As(err, &f)
}

// getPayment shows one payment.
func (s *Server) getPayment(w http.ResponseWriter, r *http.Request) {
	p, err := s.DB.Payment(r.PathValue("operator"), strings.ToUpper(r.PathValue("txn_id")))
	switch {
	case errors.Is(err, store.ErrNotFound):
		web.Error(w, http.StatusNotFound, "no payment "+r.PathValue("txn_id")+" of operator "+r.PathValue("operator"))
		return
	case err != nil:
		web.Error(w, http.StatusServiceUnavailable, "the box cannot read its store; try again")
		return
	}
	web.JSON(w, http.StatusOK, PaymentOf(p))
}
