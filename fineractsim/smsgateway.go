package fineractsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fineract's side of an SMS message gateway: the outbound table
// (sms_messages_outbound) and the two scheduled jobs that talk to the
// gateway (SmsMessageScheduledJobServiceImpl). "Send messages to SMS
// gateway" takes up to 200 pending messages, marks them "waiting for a
// delivery report" *before* it POSTs them as one JSON array to
// http://<host_name>:<port_number>/<end_point>/sms with the tenant and app
// key headers, and expects 202. "Get delivery reports" POSTs the ids of up
// to 200 waiting messages to .../sms/report and applies the states that
// come back (docs/fineract.md, "Message gateway"). The jobs run only when
// a test or the demo calls SendSMSNow and PollSMSReportsNow.

// Outbound SMS states (SmsMessageStatusType).
const (
	SMSInvalid   = 0
	SMSPending   = 100
	SMSWaiting   = 150 // waiting for a delivery report
	SMSSent      = 200
	SMSDelivered = 300
	SMSFailed    = 400
)

// smsBatch is the most messages (and report ids) one POST carries.
const smsBatch = 200

// GatewayConfig is the SMS external service (GET|PUT /externalservice/SMS).
type GatewayConfig struct {
	HostName     string // host_name
	PortNumber   int    // port_number
	EndPoint     string // end_point; "" or "/" for none
	TenantAppKey string // tenant_app_key
	// ResendFailed is not Fineract: a batch whose POST failed goes back to
	// pending and is sent again, same internalIds, by the next run.
	// Fineract leaves such messages waiting for a report for ever; this
	// models a resend (an operator re-queueing, a second node running the
	// job) so a gateway's "exactly once per internalId" can be tested.
	ResendFailed bool
	// Timeout bounds one POST (RestTemplate has none); default 30s.
	Timeout time.Duration
}

// SMSMessage is one row of the outbound table.
type SMSMessage struct {
	ID         int64
	Mobile     string
	Text       string
	ProviderID int64
	Status     int
	ExternalID string // the gateway's id, from its delivery report
	// Triggered: sent at once by a triggered campaign (no tenantId in the
	// body), not by the scheduled job.
	Triggered bool
}

// SMSSendResult is what one "send now" did.
type SMSSendResult struct {
	Batches  int     // POSTs made
	Sent     []int64 // internalIds in batches the gateway accepted (202)
	Failed   []int64 // internalIds in batches it did not
	LastErr  error
	Statuses []int // the HTTP status of each POST (0: no answer)
}

// SetSMSGateway configures the message gateway the jobs talk to.
func (s *Server) SetSMSGateway(cfg GatewayConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	s.smsCfg = &cfg
}

// QueueSMS adds a pending campaign message and returns its id (the
// internalId the gateway sees).
func (s *Server) QueueSMS(mobile, text string, providerID int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queueSMS(mobile, text, providerID, false).ID
}

func (s *Server) queueSMS(mobile, text string, providerID int64, triggered bool) *SMSMessage {
	s.nextSMS++
	m := &SMSMessage{ID: s.nextSMS, Mobile: mobile, Text: text, ProviderID: providerID, Status: SMSPending, Triggered: triggered}
	s.sms = append(s.sms, m)
	return m
}

// RequeueSMS puts the named messages that wait for a report (150) back
// to pending, so the next send run posts them again with the same
// internalIds. Not a Fineract call: it models what sends a batch twice
// though Fineract never resends one (a database restored from a backup
// taken before the run, a second node running the job, someone resetting
// the rows). It returns how many were put back.
func (s *Server) RequeueSMS(ids ...int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.sms {
		if m.Status == SMSWaiting && !m.Triggered && slices.Contains(ids, m.ID) {
			m.Status = SMSPending
			n++
		}
	}
	return n
}

// SMSMessages returns the outbound table.
func (s *Server) SMSMessages() []SMSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SMSMessage, len(s.sms))
	for i, m := range s.sms {
		out[i] = *m
	}
	return out
}

// smsWire is SmsMessageApiQueueResourceData as Gson writes it: null
// fields are left out, and createdOnDate and sourceAddress are always
// null (the job passes null for both), so they never appear; a triggered
// message has no tenantId either.
type smsWire struct {
	InternalID    int64   `json:"internalId"`
	TenantID      *string `json:"tenantId,omitempty"`
	CreatedOnDate *string `json:"createdOnDate,omitempty"`
	SourceAddress *string `json:"sourceAddress,omitempty"`
	MobileNumber  string  `json:"mobileNumber"`
	Message       string  `json:"message"`
	ProviderID    int64   `json:"providerId"`
}

// SendSMSNow runs the "send messages to SMS gateway" job once: every
// pending message, in batches of 200, each batch marked waiting before it
// is POSTed. It returns after the POSTs (Fineract makes them on another
// thread, whose failure only logs).
func (s *Server) SendSMSNow(ctx context.Context) (SMSSendResult, error) {
	var res SMSSendResult
	for {
		s.mu.Lock()
		cfg := s.smsCfg
		if cfg == nil {
			s.mu.Unlock()
			return res, errors.New("fineractsim: no SMS gateway configured (SetSMSGateway)")
		}
		var batch []*SMSMessage
		for _, m := range s.sms {
			if m.Status == SMSPending && !m.Triggered && len(batch) < smsBatch {
				m.Status = SMSWaiting
				batch = append(batch, m)
			}
		}
		tenant := s.opts.Tenant
		s.mu.Unlock()
		if len(batch) == 0 {
			return res, nil
		}
		wire := make([]smsWire, len(batch))
		ids := make([]int64, len(batch))
		for i, m := range batch {
			wire[i] = smsWire{InternalID: m.ID, TenantID: &tenant, MobileNumber: m.Mobile, Message: m.Text, ProviderID: m.ProviderID}
			ids[i] = m.ID
		}
		status, err := s.postSMS(ctx, *cfg, wire)
		res.Batches++
		res.Statuses = append(res.Statuses, status)
		if err == nil {
			res.Sent = append(res.Sent, ids...)
			continue
		}
		res.Failed = append(res.Failed, ids...)
		res.LastErr = err
		s.log.Info("fineractsim SMS batch not accepted", "messages", len(ids), "err", err)
		if !cfg.ResendFailed {
			continue // they stay waiting for a report, as in Fineract
		}
		s.mu.Lock()
		for _, m := range batch {
			if m.Status == SMSWaiting {
				m.Status = SMSPending
			}
		}
		s.mu.Unlock()
		// Sent again by the next run, not this one.
		return res, nil
	}
}

// SendTriggeredSMS sends one message at once as a triggered campaign does
// (sendTriggeredMessage): marked waiting, POSTed alone, without tenantId.
func (s *Server) SendTriggeredSMS(ctx context.Context, mobile, text string, providerID int64) (int64, error) {
	s.mu.Lock()
	cfg := s.smsCfg
	if cfg == nil {
		s.mu.Unlock()
		return 0, errors.New("fineractsim: no SMS gateway configured (SetSMSGateway)")
	}
	m := s.queueSMS(mobile, text, providerID, true)
	m.Status = SMSWaiting
	s.mu.Unlock()
	_, err := s.postSMS(ctx, *cfg, []smsWire{{InternalID: m.ID, MobileNumber: mobile, Message: text, ProviderID: providerID}})
	return m.ID, err
}

// gatewayURL is SmsConfigUtils.getMessageGateWayRequestURI: always http.
func gatewayURL(cfg GatewayConfig, api string) string {
	end := strings.Trim(cfg.EndPoint, "/")
	path := "/" + api
	if end != "" {
		path = "/" + end + path
	}
	return "http://" + cfg.HostName + ":" + strconv.Itoa(cfg.PortNumber) + path
}

// gatewayPost POSTs body with the gateway headers; the answer's status
// and body. RestTemplate treats any 4xx or 5xx as an error.
func (s *Server) gatewayPost(ctx context.Context, cfg GatewayConfig, api string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gatewayURL(cfg, api), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/plain, application/json, application/*+json, */*")
	req.Header.Set("Fineract-Platform-TenantId", s.opts.Tenant)
	req.Header.Set("Fineract-Tenant-App-Key", cfg.TenantAppKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode >= 400 {
		return resp.StatusCode, b, fmt.Errorf("the gateway answered %d", resp.StatusCode)
	}
	return resp.StatusCode, b, nil
}

// postSMS sends one batch; only 202 counts as accepted.
func (s *Server) postSMS(ctx context.Context, cfg GatewayConfig, batch []smsWire) (int, error) {
	body, err := json.Marshal(batch)
	if err != nil {
		return 0, err
	}
	status, _, err := s.gatewayPost(ctx, cfg, "sms", body)
	if err == nil && status != http.StatusAccepted {
		err = fmt.Errorf("the gateway answered %d, not 202", status)
	}
	return status, err
}

// deliveryReport is SmsMessageDeliveryReportData. Pointers: a missing
// hasError or deliveryStatus is a null the job trips over.
type deliveryReport struct {
	ID              *int64  `json:"id"`
	ExternalID      *string `json:"externalId"`
	AddedOnDate     *string `json:"addedOnDate"`
	DeliveredOnDate *string `json:"deliveredOnDate"`
	DeliveryStatus  *int    `json:"deliveryStatus"`
	HasError        *bool   `json:"hasError"`
	ErrorMessage    *string `json:"errorMessage"`
}

// SMSReportResult is what one "poll reports now" did.
type SMSReportResult struct {
	Asked   []int64 // ids POSTed
	Applied int     // reports that changed or confirmed a message
	LastErr error
}

// PollSMSReportsNow runs the "get delivery reports" job once: the ids of
// the messages waiting for a report (status 150 only: one the gateway
// called "sent", 200, is never asked about again), 200 to a POST, and
// applies each report: deliveryStatus 0 invalid, 150 waiting, 200 sent,
// 300 delivered, 400 failed, and the gateway's externalId; 100 and reports
// with hasError true are skipped. As in Fineract, a report the job cannot
// take (an id it has no message for, a null hasError or deliveryStatus)
// ends that batch with the reports before it applied.
func (s *Server) PollSMSReportsNow(ctx context.Context) (SMSReportResult, error) {
	var res SMSReportResult
	s.mu.Lock()
	cfg := s.smsCfg
	var waiting []int64
	for _, m := range s.sms {
		if m.Status == SMSWaiting {
			waiting = append(waiting, m.ID)
		}
	}
	s.mu.Unlock()
	if cfg == nil {
		return res, errors.New("fineractsim: no SMS gateway configured (SetSMSGateway)")
	}
	for len(waiting) > 0 {
		ids := waiting[:min(len(waiting), smsBatch)]
		waiting = waiting[len(ids):]
		res.Asked = append(res.Asked, ids...)
		body, _ := json.Marshal(ids)
		_, answer, err := s.gatewayPost(ctx, *cfg, "sms/report", body)
		if err != nil {
			res.LastErr = err
			continue
		}
		var reports []deliveryReport
		if err := json.Unmarshal(answer, &reports); err != nil {
			res.LastErr = fmt.Errorf("the report answer is not a JSON array of reports: %w", err)
			continue
		}
		n, err := s.applyReports(reports)
		res.Applied += n
		if err != nil {
			res.LastErr = err
		}
	}
	return res, res.LastErr
}

// applyReports updates messages from reports, stopping at the first one
// Fineract's job would fail on.
func (s *Server) applyReports(reports []deliveryReport) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i, r := range reports {
		if r.HasError == nil || r.DeliveryStatus == nil {
			return n, fmt.Errorf("report %d: hasError or deliveryStatus is null", i)
		}
		if *r.HasError || *r.DeliveryStatus == SMSPending {
			continue
		}
		if r.ID == nil {
			return n, fmt.Errorf("report %d: no id", i)
		}
		idx := slices.IndexFunc(s.sms, func(m *SMSMessage) bool { return m.ID == *r.ID })
		if idx < 0 {
			return n, fmt.Errorf("report %d: no message %d", i, *r.ID)
		}
		m := s.sms[idx]
		switch *r.DeliveryStatus {
		case SMSInvalid, SMSWaiting, SMSSent, SMSDelivered, SMSFailed:
			m.Status = *r.DeliveryStatus
		}
		if r.ExternalID != nil {
			m.ExternalID = *r.ExternalID
		} else {
			m.ExternalID = ""
		}
		n++
	}
	return n, nil
}
