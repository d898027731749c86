package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/web"
)

// MaxParts bounds one API SMS: a runaway integrator should not turn one
// call into 255 billed parts. Ten parts is 1530 GSM characters or 670
// characters of other scripts.
const MaxParts = 10

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// originPrefix marks SMS queued through the API: "api:<token id>". It is
// what lets a token read back only its own messages.
const originPrefix = "api:"

// SendRequest is the body of POST /api/v1/sms.
type SendRequest struct {
	To       string `json:"to"`
	Text     string `json:"text"`
	Priority string `json:"priority,omitempty"`
}

// sendSMS queues an SMS. With an Idempotency-Key the key and the SMS are
// recorded in one transaction, so a retry (the answer was lost, the
// client timed out) returns the SMS queued first instead of a second one.
func (s *Server) sendSMS(w http.ResponseWriter, r *http.Request) {
	tok, _ := web.TokenOf(r.Context())
	key := r.Header.Get("Idempotency-Key")
	if err := checkIdempotencyKey(key); err != nil {
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	var req SendRequest
	if status, err := web.DecodeJSON(r, &req, true); err != nil {
		web.Error(w, status, err.Error())
		return
	}
	to, prio, parts, err := s.validate(req)
	if err != nil {
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	digest := sha256.Sum256([]byte(to + "\x00" + req.Text + "\x00" + string(prio)))
	var o store.Outbound
	replayed, conflict := false, false
	err = s.DB.Update(func(tx *store.Tx) error {
		replayed, conflict = false, false
		if key != "" {
			prev, found, err := tx.APISend(tok.ID, key)
			if err != nil {
				return err
			}
			if found {
				if !bytes.Equal(prev.Request, digest[:]) {
					conflict = true
					return nil
				}
				o, err = tx.Outbound(prev.OutboundID)
				replayed = true
				return err
			}
		}
		id, err := tx.Enqueue(store.Outbound{To: to, Text: req.Text, Origin: originPrefix + tok.ID, Priority: prio})
		if err != nil {
			return err
		}
		if key != "" {
			if err := tx.PutAPISend(tok.ID, key, store.APISend{OutboundID: id, Request: digest[:]}); err != nil {
				return err
			}
		}
		o, err = tx.Outbound(id)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The SMS the key named was pruned after the retention period.
		web.Error(w, http.StatusConflict, "this Idempotency-Key was used for an SMS that is no longer kept; use a new key")
		return
	case err != nil:
		web.Error(w, http.StatusServiceUnavailable, "the box could not queue the SMS (store error); nothing was queued, try again")
		return
	case conflict:
		web.Error(w, http.StatusUnprocessableEntity, "this Idempotency-Key was already used with a different to, text or priority; use a new key for a new SMS")
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	} else if s.Nudge != nil {
		s.Nudge()
	}
	v := SMSOf(o)
	v.Parts = parts
	w.Header().Set("Location", Prefix+"sms/"+strconv.FormatUint(o.ID, 10))
	web.JSON(w, http.StatusAccepted, v)
}

// validate checks a send request and returns the number in E.164 form,
// the priority and the part count.
func (s *Server) validate(req SendRequest) (to string, prio store.Priority, parts int, err error) {
	if req.To == "" {
		return "", "", 0, errors.New(`"to" is required: the recipient's phone number, e.g. "+254712345678"`)
	}
	to, err = phone.Normalize(req.To, s.Country)
	if err != nil {
		return "", "", 0, fmt.Errorf(`"to": %v`, err)
	}
	if req.Text == "" {
		return "", "", 0, errors.New(`"text" is required and must not be empty`)
	}
	switch store.Priority(req.Priority) {
	case "", store.PriorityNotification:
		prio = store.PriorityNotification
	case store.PriorityBulk:
		prio = store.PriorityBulk
	case store.PriorityInteractive:
		return "", "", 0, errors.New(`"priority": "interactive" is kept for the box's own replies to people waiting for them; use "notification" (default) or "bulk"`)
	default:
		return "", "", 0, fmt.Errorf(`"priority": %q is not a priority; use "notification" (default) or "bulk"`, req.Priority)
	}
	ps, err := pdu.EncodeSubmit(to, req.Text, 1)
	if err != nil {
		return "", "", 0, fmt.Errorf(`"text": %v`, err)
	}
	if len(ps) > MaxParts {
		return "", "", 0, fmt.Errorf(`"text" needs %d SMS parts; the API sends at most %d (%d GSM characters, or %d when the text needs Unicode)`,
			len(ps), MaxParts, MaxParts*pdu.PartGSM7Septets, MaxParts*pdu.PartUCS2Units)
	}
	return to, prio, len(ps), nil
}

func checkIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKey {
		return fmt.Errorf("Idempotency-Key is %d characters; at most %d", len(key), maxIdempotencyKey)
	}
	for _, c := range []byte(key) {
		if c < 0x21 || c > 0x7e {
			return errors.New("Idempotency-Key must be printable ASCII without spaces (a UUID is a good key)")
		}
	}
	return nil
}

// getSMS answers the state of one SMS. A token sees only the SMS it
// queued itself, whatever its other scopes: the box's own replies carry
// balances and officers' business, and another integrator's messages are
// theirs. Anything else is "not found", so ids cannot be probed.
func (s *Server) getSMS(w http.ResponseWriter, r *http.Request) {
	tok, _ := web.TokenOf(r.Context())
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		web.Error(w, http.StatusBadRequest, fmt.Sprintf("SMS id %q is not a positive whole number", r.PathValue("id")))
		return
	}
	o, err := s.DB.Outbound(id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && o.Origin != originPrefix+tok.ID):
		web.Error(w, http.StatusNotFound, fmt.Sprintf("no SMS %d queued by this token (or it is older than the box keeps)", id))
		return
	case err != nil:
		web.Error(w, http.StatusServiceUnavailable, "the box cannot read its store; try again")
		return
	}
	web.JSON(w, http.StatusOK, SMSOf(o))
}

// TokenOfOrigin is the id of the token that queued an SMS through the API,
// read from its origin; ok is false for every other SMS.
func TokenOfOrigin(origin string) (id string, ok bool) {
	return strings.CutPrefix(origin, originPrefix)
}
