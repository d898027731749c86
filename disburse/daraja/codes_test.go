package daraja

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/disburse"
)

func TestResultCodes(t *testing.T) {
	cases := []struct {
		code    string
		outcome disburse.Outcome
		word    string // the words must say this
	}{
		{"0", disburse.Paid, ""},
		{"1", disburse.NotPaid, "float"},
		{"2", disburse.NotPaid, "minimum"},
		{"3", disburse.NotPaid, "maximum"},
		{"4", disburse.NotPaid, "daily limit"},
		{"5", disburse.NotPaid, "minimum balance"},
		{"8", disburse.NotPaid, "maximum balance"},
		{"11", disburse.NotPaid, "not active"},
		{"15", disburse.TimedOut, "before"},
		{"17", disburse.TimedOut, "2 minutes"},
		{"20", disburse.NotPaid, "initiator_name"},
		{"21", disburse.NotPaid, "role"},
		{"26", disburse.NotPaid, "busy"},
		{"2001", disburse.NotPaid, "security credential"},
		{"2006", disburse.NotPaid, "status"},
		{"2028", disburse.NotPaid, "shortcode"},
		{"2040", disburse.NotPaid, "registered"},
		{"8006", disburse.NotPaid, "locked"},
		{"SFC_IC0003", disburse.NotPaid, "does not exist"},
		{"9999", disburse.TimedOut, "9999"},
		{"", disburse.TimedOut, "does not know"},
	}
	for _, c := range cases {
		m := meaningOf(c.code, "Something new.")
		if m.outcome != c.outcome || !strings.Contains(m.words, c.word) {
			t.Errorf("%q: %s %q, want %s saying %q", c.code, m.outcome, m.words, c.outcome, c.word)
		}
		if (m.outcome == disburse.Paid) != (m.words == "") {
			t.Errorf("%q: words %q with outcome %s", c.code, m.words, m.outcome)
		}
	}
	if m := meaningOf("9999", "Something new."); !strings.Contains(m.words, "Something new.") {
		t.Errorf("an unknown code's words leave out M-PESA's: %q", m.words)
	}
	for code, m := range resultCodes {
		if m.outcome == disburse.Paid && code != "0" {
			t.Errorf("code %s counts as paid", code)
		}
		if m.outcome != disburse.Paid && m.outcome != disburse.NotPaid && m.outcome != disburse.TimedOut {
			t.Errorf("code %s has outcome %s", code, m.outcome)
		}
	}
}

func TestStatusResult(t *testing.T) {
	paid := items{{"OriginatorConversationID", "L1"}, {"ConversationID", "AG_1"}, {"TransactionStatus", "Completed"},
		{"ReceiptNo", "SG632NMUAB"}, {"Amount", "300"}, {"FinalisedTime", "20240706224852"},
		{"DebitPartyName", "600310 - Org"}, {"CreditPartyName", "254708374149 - John Doe"}}
	cases := []struct {
		name    string
		cb      callback
		outcome disburse.Outcome
		err     string
	}{
		{"completed", callback{Code: "0", Params: paid}, disburse.Paid, ""},
		{"completed, upper case", callback{Code: "0", Params: with(paid, "TransactionStatus", "COMPLETED")}, disburse.Paid, ""},
		{"failed", callback{Code: "0", Params: with(paid, "TransactionStatus", "Failed")}, disburse.NotPaid, ""},
		{"expired", callback{Code: "0", Params: with(paid, "TransactionStatus", "Expired")}, disburse.NotPaid, ""},
		{"pending", callback{Code: "0", Params: with(paid, "TransactionStatus", "Pending")}, disburse.InProgress, ""},
		{"a status the box does not read", callback{Code: "0", Params: with(paid, "TransactionStatus", "Reversed")}, "", "Reversed"},
		{"about another payment", callback{Code: "0", Params: with(paid, "OriginatorConversationID", "L2")}, "", "not \"L1\""},
		{"no record", callback{Code: "R000001"}, disburse.NoRecord, ""},
		{"query refused", callback{Code: "2001", Desc: "The initiator information is invalid."}, "", "code 2001"},
		{"query refused, shortcode", callback{Code: "SFC_IC0003"}, "", "shortcode"},
	}
	for _, c := range cases {
		r, err := statusResult(c.cb, "L1", "AG_0")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %+v %v, want an error saying %q", c.name, r, err, c.err)
			}
			continue
		}
		if err != nil || r.Outcome != c.outcome || r.Ref != "L1" || r.Via != "status query" {
			t.Errorf("%s: %+v %v, want %s", c.name, r, err, c.outcome)
		}
	}
	r, _ := statusResult(callback{Code: "0", Params: paid}, "L1", "AG_0")
	if r.Confirmation != "SG632NMUAB" || r.Amount != 300_000_000 || r.Phone != "+254708374149" || r.ProviderRef != "AG_1" ||
		r.At.Format("2006-01-02 15:04:05 -0700") != "2024-07-06 22:48:52 +0300" {
		t.Errorf("completed read as %+v", r)
	}
	// Daraja's own sample calls the credit party DebitPartyName too.
	quirk := items{{"TransactionStatus", "Completed"}, {"DebitPartyName", "600310 - Org"}, {"DebitPartyName", "254708374149 - John Doe"}}
	if r, _ := statusResult(callback{Code: "0", Params: quirk}, "L1", ""); r.Phone != "+254708374149" {
		t.Errorf("phone from the doubled DebitPartyName: %q", r.Phone)
	}
}

func with(l items, key, value string) items {
	out := append(items(nil), l...)
	for i := range out {
		if string(out[i].Key) == key {
			out[i].Value = text(value)
		}
	}
	return out
}

func TestGatewayWords(t *testing.T) {
	cases := []struct{ code, msg, want string }{
		{"400.002.02", "Bad Request - Invalid InitiatorName", "initiator_name"},
		{"400.002.02", "Bad Request - Invalid PartyB", "phone number"},
		{"400.002.02", "Bad Request - Invalid Amount", "whole shillings"},
		{"400.002.02", "Bad Request - Invalid ResultURL", "callback_url"},
		{"400.002.02", "Bad Request - Invalid Remarks", "2 to 100"},
		{"400.002.02", "Bad Request - Invalid Something", "Daraja refused the request: Bad Request - Invalid Something"},
		{"400.002.05", "Invalid Request Payload", "could not read"},
		{"404.003.01", "Resource not found", "base_url"},
		{"", "", "Daraja refused the request"},
	}
	for _, c := range cases {
		if got := gatewayWords(c.code, c.msg); !strings.Contains(got, c.want) {
			t.Errorf("%s %q: %q, want %q", c.code, c.msg, got, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		kind   string // ok, refused, notsent, duplicate, unknown
	}{
		{"accepted", 200, `{"ConversationID":"AG_1","ResponseCode":"0"}`, "ok"},
		{"garbage", 200, `<html>`, "unknown"},
		{"200 with an error code", 200, `{"errorCode":"500.001.1001","errorMessage":"x"}`, "unknown"},
		{"bad request", 400, `{"requestId":"1","errorCode":"400.002.02","errorMessage":"Bad Request - Invalid PartyB"}`, "refused"},
		{"404 without a body", 404, ``, "refused"},
		{"rate limited", 429, `{"errorCode":"429.001.01"}`, "notsent"},
		{"duplicate", 500, `{"requestId":"1","errorCode":"500.002.1001","errorMessage":"Duplicate OriginatorConversationID."}`, "duplicate"},
		{"same code, internal error", 500, `{"requestId":"1","errorCode":"500.002.1001","errorMessage":"System internal error."}`, "unknown"},
		{"503", 503, `<html>Service Unavailable</html>`, "unknown"},
		{"502 empty", 502, ``, "unknown"},
	}
	for _, c := range cases {
		var out struct{ ResponseCode text }
		err := classify(c.status, []byte(c.body), gatewayErrorOf([]byte(c.body)), &out)
		var ns *disburse.NotSentError
		var rf *disburse.RefusedError
		kind := "unknown"
		switch {
		case err == nil:
			kind = "ok"
		case errors.Is(err, ErrDuplicate):
			kind = "duplicate"
		case errors.As(err, &ns):
			kind = "notsent"
		case errors.As(err, &rf):
			kind = "refused"
		}
		if kind != c.kind {
			t.Errorf("%s: %v (%s), want %s", c.name, err, kind, c.kind)
		}
	}
}

func TestNotSent(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	cases := []struct {
		err  error
		want bool
	}{
		{dial, true},
		{&url.Error{Op: "Post", URL: "https://x", Err: dial}, true},
		{&net.DNSError{Err: "no such host", Name: "x"}, true},
		{fmt.Errorf("x: %w", &tls.CertificateVerificationError{Err: errors.New("unknown authority")}), true},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true},
		{&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, false},
		{&url.Error{Op: "Post", URL: "https://x", Err: context.DeadlineExceeded}, false},
		{errors.New("EOF"), false},
	}
	for _, c := range cases {
		if got := notSent(c.err); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
}
