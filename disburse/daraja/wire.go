package daraja

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	_ "time/tzdata" // Nairobi's zone on a box without /usr/share/zoneinfo

	"github.com/mifos-edge/mifos-edge/mifos"
)

// Daraja's JSON is loose: the same field is a number in one message and a
// string in the next (ResultCode, Amount, expires_in), a list is an object
// when it has one item (ResultParameter, ReferenceItem), and a Value may
// be missing. These types read all of it.

// text is any JSON scalar as its text: a string as is, a number as written
// ("8959269.60" stays exact), true/false; null, absent, an object or an
// array read as "".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null" || b[0] == '{' || b[0] == '[':
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(strings.TrimSpace(s))
	default:
		*t = text(b)
	}
	return nil
}

// item is one Key/Value pair.
type item struct {
	Key   text `json:"Key"`
	Value text `json:"Value"`
}

// items is a list of pairs: an array, or one object for a single pair.
type items []item

func (l *items) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '[':
		var a []item
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		*l = a
	case len(b) > 0 && b[0] == '{':
		var one item
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = items{one}
	default:
		*l = nil
	}
	return nil
}

// get is the Value of the first pair named key.
func (l items) get(key string) string {
	for _, it := range l {
		if string(it.Key) == key {
			return string(it.Value)
		}
	}
	return ""
}

// holder is ResultParameters or ReferenceData: an object holding a list
// under ResultParameter or ReferenceItem. Anything else reads as empty.
type holder struct{ list items }

func (h *holder) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		h.list = nil
		return nil
	}
	var v struct {
		ResultParameter items `json:"ResultParameter"`
		ReferenceItem   items `json:"ReferenceItem"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	h.list = append(v.ResultParameter, v.ReferenceItem...)
	return nil
}

// callback is a Result Daraja posts: a B2C result, a queue time-out
// notice or a status result.
type callback struct {
	Type, Code, Desc string
	// OCID and ConvID name the request the result is for: the payment
	// request for a B2C result, the query itself for a status result.
	OCID, ConvID string
	TxID         string
	Params       items
}

type callbackJSON struct {
	Result *struct {
		ResultType               text   `json:"ResultType"`
		ResultCode               text   `json:"ResultCode"`
		ResultDesc               text   `json:"ResultDesc"`
		OriginatorConversationID text   `json:"OriginatorConversationID"`
		ConversationID           text   `json:"ConversationID"`
		TransactionID            text   `json:"TransactionID"`
		ResultParameters         holder `json:"ResultParameters"`
		ReferenceData            holder `json:"ReferenceData"`
	} `json:"Result"`
}

// parseCallback reads a callback's body.
func parseCallback(body []byte) (callback, error) {
	var v callbackJSON
	if err := json.Unmarshal(body, &v); err != nil {
		return callback{}, errors.New("not Daraja's JSON: " + err.Error())
	}
	r := v.Result
	switch {
	case r == nil:
		return callback{}, errors.New("no Result object")
	case r.ResultCode == "":
		return callback{}, errors.New("no ResultCode")
	case r.OriginatorConversationID == "" && r.ConversationID == "":
		return callback{}, errors.New("neither OriginatorConversationID nor ConversationID")
	}
	return callback{
		Type: string(r.ResultType), Code: string(r.ResultCode), Desc: string(r.ResultDesc),
		OCID: string(r.OriginatorConversationID), ConvID: string(r.ConversationID), TxID: string(r.TransactionID),
		Params: r.ResultParameters.list,
	}, nil
}

// nairobi is the zone of Daraja's times, which carry none.
var nairobi = func() *time.Location {
	loc, err := time.LoadLocation("Africa/Nairobi")
	if err != nil {
		panic(err) // the embedded tzdata always has it
	}
	return loc
}()

// timeOf reads a Daraja time in layout; zero when it does not read.
func timeOf(s, layout string) time.Time {
	t, err := time.ParseInLocation(layout, strings.TrimSpace(s), nairobi)
	if err != nil {
		return time.Time{}
	}
	return t
}

// amountOf reads an amount ("10", "10.00") in millionths; 0 when it does
// not read.
func amountOf(s string) int64 {
	a, err := mifos.ParseAmount(s)
	if err != nil || a < 0 {
		return 0
	}
	return int64(a)
}

// phoneOf reads the number of "254705912645 - JANE DOE" as +254705912645;
// "" for a masked or foreign number.
func phoneOf(s string) string {
	num, _, _ := strings.Cut(s, " - ")
	num = strings.TrimSpace(num)
	if len(num) != 12 || !strings.HasPrefix(num, "254") || strings.Trim(num, "0123456789") != "" {
		return ""
	}
	return "+" + num
}
