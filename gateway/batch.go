package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/phone"
	"github.com/mifos-edge/mifos-edge/store"
)

// maxParts bounds one campaign SMS: a text longer than ten SMS parts (about
// 1,500 plain letters) is refused rather than billed as a dozen messages.
const maxParts = 10

// wireSMS is one element of Fineract's batch (SmsMessageApiQueueResourceData,
// written by Gson: absent keys are nulls Gson left out).
type wireSMS struct {
	InternalID    *int64  `json:"internalId"`
	TenantID      *string `json:"tenantId"`
	CreatedOnDate *string `json:"createdOnDate"`
	SourceAddress *string `json:"sourceAddress"`
	MobileNumber  *string `json:"mobileNumber"`
	Message       *string `json:"message"`
	ProviderID    *int64  `json:"providerId"`
}

// BatchRules are what a batch is checked against.
type BatchRules struct {
	Tenant     string // the tenant of the request (its header)
	Country    string // [sms] country, for numbers written without +
	ProviderID int64  // this modem's provider id
	MaxBatch   int    // most messages in one batch
}

// Batch is a decoded batch: the items to queue or refuse by id, and the
// elements that carry no usable internalId (nothing can be recorded or
// reported for them; they are answered and logged).
type Batch struct {
	Items        []store.GatewayItem
	Unidentified []string // why each such element was not used
}

// ErrBatch is wrapped by ParseBatch for a body that is no batch at all
// (answered 400, nothing queued).
var ErrBatch = errors.New("not a message batch")

// ErrBatchTooBig is wrapped by ParseBatch for a batch over MaxBatch.
var ErrBatchTooBig = errors.New("batch too big")

// ParseBatch reads Fineract's JSON array of messages. The array as a whole
// must be well-formed JSON and no longer than MaxBatch; each element is
// then judged alone, so one bad message (no number, empty text, a number
// the box cannot send to, a wrong type) is refused by its id without
// holding up the others.
func ParseBatch(body []byte, rules BatchRules) (Batch, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return Batch{}, fmt.Errorf("%w: empty body; send a JSON array of messages", ErrBatch)
	}
	if body[0] != '[' {
		return Batch{}, fmt.Errorf("%w: the body must be a JSON array of messages", ErrBatch)
	}
	var raw []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return Batch{}, fmt.Errorf("%w: malformed JSON: %v", ErrBatch, err)
	}
	if dec.More() {
		return Batch{}, fmt.Errorf("%w: more than one JSON document in the body", ErrBatch)
	}
	if len(raw) > rules.MaxBatch {
		return Batch{}, fmt.Errorf("%w: %d messages in one call; at most %d (gateway.max_batch)", ErrBatchTooBig, len(raw), rules.MaxBatch)
	}
	var b Batch
	for i, el := range raw {
		var w wireSMS
		err := json.Unmarshal(el, &w)
		id, idErr := internalID(el, w, err)
		if idErr != nil {
			b.Unidentified = append(b.Unidentified, fmt.Sprintf("message %d: %v", i, idErr))
			continue
		}
		it := store.GatewayItem{InternalID: id}
		if err != nil {
			it.Refused = "malformed message: " + shortError(err)
		} else {
			it.Out, it.Refused = rules.judge(w, id)
		}
		b.Items = append(b.Items, it)
	}
	if len(b.Items) == 0 && len(b.Unidentified) > 0 {
		return b, fmt.Errorf("%w: no message has a usable internalId (%s)", ErrBatch, b.Unidentified[0])
	}
	return b, nil
}

// internalID is the message's id: from the decoded element, or, when
// another field had a wrong type, from the id alone.
func internalID(el json.RawMessage, w wireSMS, decodeErr error) (int64, error) {
	if decodeErr != nil {
		var only struct {
			InternalID *int64 `json:"internalId"`
		}
		if err := json.Unmarshal(el, &only); err != nil {
			return 0, fmt.Errorf("not a message object: %s", shortError(decodeErr))
		}
		w.InternalID = only.InternalID
	}
	switch {
	case w.InternalID == nil:
		return 0, errors.New("no internalId")
	case *w.InternalID <= 0:
		return 0, fmt.Errorf("internalId %d is not a message id", *w.InternalID)
	}
	return *w.InternalID, nil
}

// judge turns one well-typed message into the SMS to queue, or says why
// it is refused.
func (r BatchRules) judge(w wireSMS, id int64) (store.Outbound, string) {
	if w.TenantID != nil && *w.TenantID != "" && *w.TenantID != r.Tenant {
		return store.Outbound{}, fmt.Sprintf("message of tenant %q in a call for tenant %q", clip(*w.TenantID, 40), clip(r.Tenant, 40))
	}
	if w.ProviderID != nil && *w.ProviderID != 0 && *w.ProviderID != r.ProviderID {
		return store.Outbound{}, fmt.Sprintf("provider %d is not this box (its provider id is %d); choose it in the campaign", *w.ProviderID, r.ProviderID)
	}
	if w.MobileNumber == nil || strings.TrimSpace(*w.MobileNumber) == "" {
		return store.Outbound{}, "no mobile number"
	}
	to, err := phone.Normalize(*w.MobileNumber, r.Country)
	if err != nil {
		return store.Outbound{}, clip("the box cannot send to this mobile number: "+err.Error(), 200)
	}
	if w.Message == nil || strings.TrimSpace(*w.Message) == "" {
		return store.Outbound{}, "empty message"
	}
	text := strings.ToValidUTF8(*w.Message, "\uFFFD")
	if chunks, _ := pdu.Split(text); len(chunks) > maxParts {
		return store.Outbound{}, fmt.Sprintf("message of %d characters needs %d SMS parts; at most %d", utf8.RuneCountInString(text), len(chunks), maxParts)
	}
	return store.Outbound{
		To:       to,
		Text:     text,
		Origin:   "fineract:" + r.Tenant + ":" + strconv.FormatInt(id, 10),
		Priority: store.PriorityBulk,
	}, ""
}

// clip bounds a value from the request that is echoed in a reason.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

func shortError(err error) string {
	return clip(strings.TrimPrefix(err.Error(), "json: "), 120)
}
