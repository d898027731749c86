package daraja

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mifos-edge/mifos-edge/disburse"
)

// CallbackPrefix is where Callbacks serves: CallbackPrefix + token + "/"
// + result | timeout | status-result | status-timeout.
const CallbackPrefix = "/hooks/daraja/"

// maxCallback caps a callback's body; Daraja's are a few KiB.
const maxCallback = 64 << 10

// Callbacks serves Daraja's posts under CallbackPrefix. A wrong token is
// 404 and nothing is read; a result is answered Accepted only after the
// Reporter took it, so Daraja posts it again otherwise.
func (p *Provider) Callbacks() http.Handler { return http.HandlerFunc(p.serveCallback) }

var callbackKinds = map[string]bool{"result": true, "timeout": true, "status-result": true, "status-timeout": true}

func (p *Provider) serveCallback(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, CallbackPrefix)
	tok, kind, _ := strings.Cut(rest, "/")
	// The token is the callback's only credential: compared in constant
	// time, and never logged (it is in the path, so the path is not).
	if !strings.HasPrefix(r.URL.Path, CallbackPrefix) || subtle.ConstantTimeCompare([]byte(tok), []byte(p.cfg.CallbackToken)) != 1 ||
		!callbackKinds[kind] {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallback))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.log.Warn("daraja: callback too large", "kind", kind, "limit", maxCallback)
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	cb, err := parseCallback(body)
	if err != nil {
		// The body may hold a client's name and number: only its size.
		p.log.Warn("daraja: callback not read", "kind", kind, "bytes", len(body), "err", err)
		answer(w, http.StatusBadRequest, 1, "Rejected: "+err.Error())
		return
	}
	switch kind {
	case "result", "timeout":
		res := paymentResult(cb, kind == "timeout")
		if err := p.rep.Report(r.Context(), res); err != nil {
			p.log.Error("daraja: result not recorded; Daraja will post it again", "ref", res.Ref, "err", err)
			answer(w, http.StatusInternalServerError, 1, "Not recorded; post it again")
			return
		}
		p.log.Info("daraja: result", "ref", res.Ref, "outcome", res.Outcome, "code", res.Code)
	case "status-result", "status-timeout":
		if p.deliver(statusNote{cb: cb, timedOut: kind == "status-timeout"}) || kind == "status-timeout" {
			break
		}
		// No query is waiting (it gave up, or is about to read its ids):
		// a settled answer is still worth recording.
		about := cb.Params.get("OriginatorConversationID")
		res, err := statusResult(cb, about, "")
		if about == "" || err != nil || (res.Outcome != disburse.Paid && res.Outcome != disburse.NotPaid) {
			break
		}
		if err := p.rep.Report(r.Context(), res); err != nil {
			p.log.Error("daraja: late status not recorded; Daraja will post it again", "ref", res.Ref, "err", err)
			answer(w, http.StatusInternalServerError, 1, "Not recorded; post it again")
			return
		}
		p.log.Info("daraja: late status", "ref", res.Ref, "outcome", res.Outcome)
	}
	answer(w, http.StatusOK, 0, "Accepted")
}

func answer(w http.ResponseWriter, status, code int, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"ResultCode":%d,"ResultDesc":%q}`, code, desc)
}

// paymentResult reads a B2C result, or a queue time-out notice (whose
// ResultCode says nothing about the payment: the address it came to does).
func paymentResult(cb callback, queueTimeout bool) disburse.Result {
	r := disburse.Result{Ref: cb.OCID, ProviderRef: cb.ConvID, Code: cb.Code, Via: "callback"}
	if queueTimeout {
		r.Outcome = disburse.TimedOut
		r.Reason = "the request timed out in Daraja's queue: whether it was paid is not known until the box asks"
		return r
	}
	m := meaningOf(cb.Code, cb.Desc)
	r.Outcome, r.Reason = m.outcome, m.words
	if m.outcome != disburse.Paid {
		return r
	}
	r.Confirmation = cb.Params.get("TransactionReceipt")
	if r.Confirmation == "" {
		r.Confirmation = cb.TxID
	}
	r.Amount = amountOf(cb.Params.get("TransactionAmount"))
	r.Phone = phoneOf(cb.Params.get("ReceiverPartyPublicName"))
	r.At = timeOf(cb.Params.get("TransactionCompletedDateTime"), "02.01.2006 15:04:05")
	return r
}
