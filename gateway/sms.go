package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/mifos-edge/mifos-edge/web"
)

// Accepted is the body of a 202 answer to POST /sms. Fineract reads only
// the status; the counts are for people (curl, logs).
type Accepted struct {
	Queued     int       `json:"queued"`
	Duplicates int       `json:"duplicates"`
	Refused    []Refusal `json:"refused"`
	// Unidentified elements had no usable internalId: nothing was queued
	// or recorded for them.
	Unidentified []string `json:"unidentified,omitempty"`
}

// Refusal is one message the box will not send; its report says failed.
type Refusal struct {
	InternalID int64  `json:"internalId"`
	Reason     string `json:"reason"`
}

// readBody reads a bounded request body (web.Protect bounds it), answering
// a failure itself.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		web.Error(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q: send application/json", ct))
		return nil, false
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			web.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", tooBig.Limit))
		} else {
			web.Error(w, http.StatusBadRequest, "could not read the request body")
		}
		return nil, false
	}
	return body, true
}

// serveSMS is POST /sms: Fineract hands over a batch. Every message with
// an id is queued or refused exactly once per tenant and id, whatever
// Fineract resends; the answer is 202 when the batch was recorded.
func (s *Server) serveSMS(w http.ResponseWriter, r *http.Request) {
	tenant, ok := s.admit(w, r, r.Header.Get(appKeyHeader))
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	batch, err := ParseBatch(body, BatchRules{Tenant: tenant, Country: s.cfg.Country, ProviderID: s.cfg.ProviderID, MaxBatch: s.cfg.MaxBatch})
	switch {
	case errors.Is(err, ErrBatchTooBig):
		web.Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	case err != nil:
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.db.GatewayAccept(tenant, batch.Items)
	if err != nil {
		s.cfg.Log.Error("gateway batch not recorded", "tenant", tenant, "messages", len(batch.Items), "err", err)
		web.Error(w, http.StatusServiceUnavailable, "the box could not record the batch; nothing was queued, send it again")
		return
	}
	if res.Queued > 0 {
		s.cfg.Queued()
	}
	out := Accepted{Queued: res.Queued, Duplicates: res.Duplicates, Refused: []Refusal{}, Unidentified: batch.Unidentified}
	for _, it := range batch.Items {
		if it.Refused != "" {
			out.Refused = append(out.Refused, Refusal{InternalID: it.InternalID, Reason: it.Refused})
		}
	}
	s.cfg.Log.Info("gateway batch from Fineract", "tenant", tenant, "queued", res.Queued, "duplicates", res.Duplicates,
		"refused", res.Refused, "unidentified", len(batch.Unidentified))
	for _, u := range batch.Unidentified {
		s.cfg.Log.Warn("gateway message without a usable id; not sent", "tenant", tenant, "problem", u)
	}
	web.JSON(w, http.StatusAccepted, out)
}

// maxReportIDs bounds one report call (Fineract asks about 200 at a time).
const maxReportIDs = 5000

// serveReport is POST /sms/report: a JSON array of internal ids in, their
// delivery states out, in the same order.
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request) {
	tenant, ok := s.admit(w, r, r.Header.Get(appKeyHeader))
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	ids, err := parseIDs(body)
	if err != nil {
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.cfg.Now()
	looked, err := s.db.GatewayReport(tenant, ids, now, s.cfg.LostAfter)
	if err != nil {
		s.cfg.Log.Error("gateway report not read", "tenant", tenant, "err", err)
		web.Error(w, http.StatusServiceUnavailable, "the box could not read its store; ask again")
		return
	}
	out := make([]Report, 0, len(looked))
	for _, l := range looked {
		out = append(out, reportOf(l, now, s.cfg.ReportWait))
	}
	web.JSON(w, http.StatusOK, out)
}

// parseIDs reads the report request: a JSON array of positive ids.
func parseIDs(body []byte) ([]int64, error) {
	var ids []int64
	if err := json.Unmarshal(body, &ids); err != nil {
		return nil, fmt.Errorf("the body must be a JSON array of message ids: %s", shortError(err))
	}
	if len(ids) > maxReportIDs {
		return nil, fmt.Errorf("%d ids in one call; at most %d", len(ids), maxReportIDs)
	}
	for _, id := range ids {
		if id <= 0 {
			return nil, fmt.Errorf("%d is not a message id", id)
		}
	}
	return ids, nil
}

// Bridge is one provider as Fineract's SMS campaign screen lists it
// (SmsProviderData); the provider's app key is never shown.
type Bridge struct {
	ID                  int64  `json:"id"`
	TenantID            string `json:"tenantId,omitempty"`
	PhoneNo             string `json:"phoneNo,omitempty"`
	ProviderName        string `json:"providerName"`
	ProviderDescription string `json:"providerDescription"`
}

func (s *Server) bridge(tenant string) Bridge {
	desc := "GSM modem of the Mifos Edge branch box"
	if s.cfg.BoxID != "" {
		desc += " " + s.cfg.BoxID
	}
	return Bridge{ID: s.cfg.ProviderID, TenantID: tenant, PhoneNo: s.cfg.PhoneNo, ProviderName: "Mifos Edge modem", ProviderDescription: desc}
}

// serveBridges is GET /smsbridges: this modem is the one provider.
func (s *Server) serveBridges(w http.ResponseWriter, r *http.Request) {
	tenant, ok := s.admit(w, r, r.Header.Get(appKeyHeader))
	if !ok {
		return
	}
	web.JSON(w, http.StatusOK, []Bridge{s.bridge(tenant)})
}

// serveBridge is GET /smsbridges/{id}.
func (s *Server) serveBridge(w http.ResponseWriter, r *http.Request) {
	tenant, ok := s.admit(w, r, r.Header.Get(appKeyHeader))
	if !ok {
		return
	}
	if id, err := strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil || id != s.cfg.ProviderID {
		web.Error(w, http.StatusNotFound, fmt.Sprintf("no SMS bridge %q; this box is provider %d", clip(r.PathValue("id"), 20), s.cfg.ProviderID))
		return
	}
	web.JSON(w, http.StatusOK, s.bridge(tenant))
}
