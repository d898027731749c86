package fineractsim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Web hooks (Fineract's "Web" hook template): after a command commits,
// every active hook subscribed to its (entity, action) is POSTed a JSON
// body describing the command, asynchronously and once: Fineract's
// WebHookProcessor enqueues one Retrofit call and only logs its outcome,
// so a delivery that fails (no answer, any status) is lost, and the
// command it reports stands (docs/fineract.md, "Hooks").

// Hook is a hook of the Web template.
type Hook struct {
	Name       string
	PayloadURL string // "Payload URL"
	// Events are the (entity, action) pairs it is sent for, such as
	// {"LOAN", "APPROVE"}, {"LOAN", "DISBURSE"}, {"LOAN", "REPAYMENT"}.
	Events   []HookEvent
	Inactive bool
}

// HookEvent is one subscribed event: Fineract's entity and action names.
type HookEvent struct{ Entity, Action string }

// HookDelivery is one POST a hook made (for test assertions).
type HookDelivery struct {
	Hook           string
	URL            string
	Entity, Action string
	Header         http.Header
	Body           []byte
	Status         int    // 0: no answer
	Err            string // why there was no answer
}

// hookTimeout bounds one delivery (OkHttp's default read timeout).
const hookTimeout = 10 * time.Second

// AddHook registers a Web hook.
func (s *Server) AddHook(h Hook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.Events = slices.Clone(h.Events)
	s.hooks = append(s.hooks, h)
}

// WaitHooks waits until every hook delivery started so far has ended.
func (s *Server) WaitHooks() { s.hookW.Wait() }

// HookDeliveries returns the deliveries that have ended, in the order
// they ended.
func (s *Server) HookDeliveries() []HookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]HookDelivery, len(s.hookLog))
	for i, d := range s.hookLog {
		d.Header = d.Header.Clone()
		d.Body = slices.Clone(d.Body)
		out[i] = d
	}
	return out
}

// hookPayload is what SynchronousCommandProcessingService.publishHookEvent
// serialises: the command's request body, who made it, and its result
// (whose officeId moves up a level). It returns nil for a body that is not
// a JSON object (Fineract publishes only those).
func (s *Server) hookPayload(u *User, action, entity string, request []byte, result []byte) []byte {
	var req map[string]any
	if json.Unmarshal(request, &req) != nil || req == nil {
		return nil
	}
	var res map[string]any
	if json.Unmarshal(result, &res) != nil {
		res = map[string]any{}
	}
	officeID, clientID := res["officeId"], res["clientId"]
	delete(res, "officeId")
	if u == nil {
		u = s.boxUser()
	}
	m := anyMap{"entityName": entity, "actionName": action, "createdBy": u.ID, "createdByName": u.Username,
		"createdByFullName": u.DisplayName(), "request": req, "officeId": officeID, "clientId": clientID,
		"response": res, "timestamp": s.opts.Clock().UTC().Format(time.RFC3339Nano)}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// fireHooks starts the deliveries of a command that committed. Caller
// holds mu.
func (s *Server) fireHooks(u *User, action, entity string, request, result []byte) {
	var targets []Hook
	for _, h := range s.hooks {
		if !h.Inactive && slices.Contains(h.Events, HookEvent{entity, action}) {
			targets = append(targets, h)
		}
	}
	if len(targets) == 0 {
		return
	}
	payload := s.hookPayload(u, action, entity, request, result)
	if payload == nil {
		return
	}
	for _, h := range targets {
		s.hookW.Add(1)
		go func() {
			defer s.hookW.Done()
			d := s.deliver(h, entity, action, payload)
			s.mu.Lock()
			s.hookLog = append(s.hookLog, d)
			s.mu.Unlock()
		}()
	}
}

// deliver POSTs one hook body with WebHookService's headers.
func (s *Server) deliver(h Hook, entity, action string, payload []byte) HookDelivery {
	d := HookDelivery{Hook: h.Name, URL: h.PayloadURL, Entity: entity, Action: action, Body: payload}
	ctx, cancel := context.WithTimeout(context.Background(), hookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.PayloadURL, bytes.NewReader(payload))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Fineract-Entity", entity)
	req.Header.Set("X-Fineract-Action", action)
	req.Header.Set("Fineract-Platform-TenantId", s.opts.Tenant)
	// The endpoint header is the JVM's baseUrl property; where it is not
	// set, Retrofit leaves the null header out.
	if !s.opts.NoHookEndpoint {
		req.Header.Set("X-Fineract-Endpoint", strings.TrimSuffix(s.URL(), "/")+"/")
	}
	d.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.Err = err.Error()
		s.log.Info("fineractsim hook not delivered", "hook", h.Name, "entity", entity, "action", action, "err", err)
		return d
	}
	_ = resp.Body.Close()
	d.Status = resp.StatusCode
	s.log.Info("fineractsim hook delivered", "hook", h.Name, "entity", entity, "action", action, "status", resp.StatusCode)
	return d
}
