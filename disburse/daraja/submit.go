package daraja

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/disburse"
)

// maxAnswer caps what is read of an answer; Daraja's are a few hundred bytes.
const maxAnswer = 64 << 10

// ErrDuplicate is Daraja saying it already has a request with this
// OriginatorConversationID (500.002.1001): an earlier send reached it, so
// the line's outcome is whatever became of that one, not a refusal.
var ErrDuplicate = errors.New("daraja already has a request with this reference: an earlier send reached it, so the payment may have been made; ask before anything else")

var kenyanMobile = regexp.MustCompile(`^254[17][0-9]{8}$`)

// paymentRequest is the B2C request body.
type paymentRequest struct {
	OriginatorConversationID string
	InitiatorName            string
	SecurityCredential       string
	CommandID                string
	Amount                   int64
	PartyA                   string
	PartyB                   string
	Remarks                  string
	QueueTimeOutURL          string
	ResultURL                string
}

// Submit asks Daraja to pay o, once.
func (p *Provider) Submit(ctx context.Context, o disburse.Order) (string, error) {
	body, err := p.paymentRequest(o)
	if err != nil {
		p.log.Warn("daraja: line refused before sending", "ref", o.Ref, "err", err)
		return "", err
	}
	var ack struct {
		ConversationID      text
		ResponseCode        text
		ResponseDescription text
	}
	if err := p.call(ctx, "/mpesa/b2c/v3/paymentrequest", body, &ack); err != nil {
		p.log.Warn("daraja: payment request", "ref", o.Ref, "err", err)
		return "", err
	}
	switch ack.ResponseCode {
	case "0":
	case "":
		err := fmt.Errorf("daraja answered 200 without a ResponseCode: it may have accepted the request")
		p.log.Warn("daraja: payment request", "ref", o.Ref, "err", err)
		return "", err
	default:
		// Not accepted: Daraja did not take the request on.
		m := meaningOf(string(ack.ResponseCode), string(ack.ResponseDescription))
		words := string(ack.ResponseDescription)
		if _, known := resultCodes[string(ack.ResponseCode)]; known {
			words = m.words
		}
		err := &disburse.RefusedError{Code: string(ack.ResponseCode), Reason: words}
		p.log.Warn("daraja: payment request not accepted", "ref", o.Ref, "err", err)
		return "", err
	}
	p.log.Info("daraja: payment request accepted", "ref", o.Ref, "conversation", string(ack.ConversationID))
	return string(ack.ConversationID), nil
}

// paymentRequest builds o's request, refusing what M-PESA cannot pay
// before anything is sent.
func (p *Provider) paymentRequest(o disburse.Order) (paymentRequest, error) {
	refuse := func(format string, args ...any) (paymentRequest, error) {
		return paymentRequest{}, &disburse.RefusedError{Reason: fmt.Sprintf(format, args...)}
	}
	phone := strings.TrimPrefix(o.Phone, "+")
	switch {
	case o.Ref == "":
		return refuse("the line has no reference to send as OriginatorConversationID")
	case o.Currency != "" && o.Currency != "KES":
		return refuse("M-PESA B2C pays Kenya shillings; this line is in %s", o.Currency)
	case o.Amount <= 0:
		return refuse("the amount must be above zero")
	case o.Amount%1_000_000 != 0:
		return refuse("M-PESA pays whole shillings only; %d.%06d has cents", o.Amount/1_000_000, o.Amount%1_000_000)
	case !kenyanMobile.MatchString(phone):
		return refuse("%q is not a Kenyan mobile number M-PESA can pay (+2547… or +2541…)", o.Phone)
	}
	return paymentRequest{
		OriginatorConversationID: o.Ref,
		InitiatorName:            p.cfg.InitiatorName,
		SecurityCredential:       p.cfg.SecurityCredential,
		CommandID:                p.cfg.CommandID,
		Amount:                   o.Amount / 1_000_000,
		PartyA:                   p.cfg.ShortCode,
		PartyB:                   phone,
		Remarks:                  remarks(o.Remarks, "Loan disbursement"),
		QueueTimeOutURL:          p.cfg.QueueTimeOutURL,
		ResultURL:                p.cfg.ResultURL,
	}, nil
}

// remarks fits s to Daraja's 2 to 100 characters.
func remarks(s, fallback string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) < 2 {
		return fallback
	}
	if r := []rune(s); len(r) > 100 {
		return string(r[:100])
	}
	return s
}

// gatewayError is the API gateway's error body.
type gatewayError struct {
	Code    string
	Message string
}

func gatewayErrorOf(body []byte) gatewayError {
	var v struct {
		ErrorCode    text `json:"errorCode"`
		ErrorMessage text `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &v)
	return gatewayError{string(v.ErrorCode), string(v.ErrorMessage)}
}

// call POSTs body to path and decodes a 200's JSON into out. Its errors
// are those of Provider.Submit: *disburse.NotSentError when the request
// surely did not reach Daraja, *disburse.RefusedError when the gateway
// refused it, any other when it may have been accepted.
func (p *Provider) call(ctx context.Context, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return &disburse.NotSentError{Err: err}
	}
	for attempt := 1; ; attempt++ {
		tok, err := p.accessToken(ctx)
		if err != nil {
			return &disburse.NotSentError{Err: err}
		}
		status, answer, err := p.post(ctx, path, tok, data)
		if err != nil {
			return err
		}
		g := gatewayErrorOf(answer)
		if status == http.StatusUnauthorized || g.Code == "404.001.03" {
			// The gateway refused the token before looking at the request
			// (expired early, or replaced by a token made elsewhere for
			// the same app): one new token, one more try.
			p.dropToken(tok)
			if attempt == 1 {
				p.log.Info("daraja: access token refused; getting a new one")
				continue
			}
			return &disburse.NotSentError{Err: errors.New("daraja refused a fresh access token too")}
		}
		return classify(status, answer, g, out)
	}
}

// post sends one request; its error is already classified.
func (p *Provider) post(ctx context.Context, path, tok string, data []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.BaseURL+path, bytes.NewReader(data))
	if err != nil {
		return 0, nil, &disburse.NotSentError{Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.cfg.HTTP.Do(req)
	if err != nil {
		if notSent(err) {
			return 0, nil, &disburse.NotSentError{Err: err}
		}
		if ctx.Err() != nil {
			return 0, nil, fmt.Errorf("daraja did not answer in time: it may have accepted the request: %w", err)
		}
		return 0, nil, fmt.Errorf("the connection to Daraja failed after the request may have reached it: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, fmt.Errorf("daraja's answer (%s) was cut off: it may have accepted the request: %w", resp.Status, err)
	}
	return resp.StatusCode, answer, nil
}

// notSent: the request cannot have left (no connection, no name, no
// trusted TLS session; the request is written only after all three).
func notSent(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	var cert *tls.CertificateVerificationError
	var rec tls.RecordHeaderError
	return errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &cert) || errors.As(err, &rec)
}

// classify turns an answer into out or an error.
func classify(status int, answer []byte, g gatewayError, out any) error {
	switch {
	case status == http.StatusOK:
		if g.Code != "" {
			break
		}
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("daraja answered 200 with something that is not its JSON (%s): it may have accepted the request", snippet(answer))
		}
		return nil
	case status == http.StatusTooManyRequests:
		return &disburse.NotSentError{Err: fmt.Errorf("daraja turned the request away (429 %s %s)", g.Code, g.Message)}
	case status >= 400 && status < 500:
		code := g.Code
		if code == "" {
			code = fmt.Sprint(status)
		}
		return &disburse.RefusedError{Code: code, Reason: gatewayWords(g.Code, g.Message)}
	case g.Code == "500.002.1001" && strings.Contains(strings.ToLower(g.Message), "duplicate"):
		return ErrDuplicate
	}
	if g.Code != "" {
		return fmt.Errorf("daraja answered %d %s %q: it may have accepted the request", status, g.Code, g.Message)
	}
	return fmt.Errorf("daraja answered %d (%s): it may have accepted the request", status, snippet(answer))
}

// snippet is the start of an answer, on one line, for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	if s == "" {
		return "empty"
	}
	return fmt.Sprintf("%q", s)
}
