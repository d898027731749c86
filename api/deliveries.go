package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/mifos-edge/mifos-edge/web"
)

// Delivery is a webhook delivery waiting, retrying, or given up on.
type Delivery struct {
	ID          uint64          `json:"id"`
	EventID     string          `json:"event_id"`
	Event       string          `json:"event"`
	URL         string          `json:"url"`
	Attempts    int             `json:"attempts"`
	LastError   string          `json:"last_error,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	NextAttempt time.Time       `json:"next_attempt,omitzero"`
	DeadAt      time.Time       `json:"dead_at,omitzero"`
	Body        json.RawMessage `json:"body"`
}

// listDeliveries shows the webhook queue (state=queued, default) or the
// dead letters (state=dead): deliveries given up after webhook
// give_up_after, kept for the store's retention.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "queued"
	}
	if state != "queued" && state != "dead" {
		web.Error(w, http.StatusBadRequest, `state=`+state+`: use "queued" or "dead"`)
		return
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	ds, err := s.DB.WebhookDeliveries(state == "dead", limit)
	if err != nil {
		web.Error(w, http.StatusServiceUnavailable, "the box cannot read its store; try again")
		return
	}
	out := []Delivery{}
	for _, d := range ds {
		v := Delivery{ID: d.ID, EventID: d.EventID, Event: d.Event, URL: d.URL, Attempts: d.Attempts, LastError: d.LastError,
			CreatedAt: d.CreatedAt, DeadAt: d.DeadAt, Body: json.RawMessage(d.Body)}
		if state == "queued" {
			v.NextAttempt = d.NextAttempt
		}
		if !json.Valid(v.Body) {
			v.Body = json.RawMessage("null")
		}
		out = append(out, v)
	}
	web.JSON(w, http.StatusOK, map[string]any{"deliveries": out})
}
