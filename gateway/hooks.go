package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/web"
)

// hookBody is what Fineract's Web hook posts: the command's request and
// its CommandProcessingResult ("response"). Only ids are taken from it;
// amounts and phone numbers are read back from Fineract, since anyone
// holding the hook's URL could post a body.
type hookBody struct {
	EntityName string `json:"entityName"`
	ActionName string `json:"actionName"`
	// Status is "Exception" when the command failed in Fineract.
	Status   string `json:"status"`
	ClientID int64  `json:"clientId"`
	Response struct {
		CommandID  int64 `json:"commandId"`
		ResourceID int64 `json:"resourceId"`
		LoanID     int64 `json:"loanId"`
		ClientID   int64 `json:"clientId"`
	} `json:"response"`
}

// HookAnswer is the body of a 200 answer to a hook call.
type HookAnswer struct {
	Stored    bool   `json:"stored"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// serveHookPing answers Fineract's check of a hook URL (a GET).
func (s *Server) serveHookPing(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.admit(w, r, r.PathValue("key")); !ok {
		return
	}
	web.JSON(w, http.StatusOK, HookAnswer{Reason: "hook endpoint ready"})
}

// serveHook is POST /hooks/fineract/<token>: a chosen event is stored
// (once per event) and answered at once; the hook worker builds the SMS.
func (s *Server) serveHook(w http.ResponseWriter, r *http.Request) {
	tenant, ok := s.admit(w, r, r.PathValue("key"))
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	ev, answer, err := ParseHook(tenant, r.Header.Get("X-Fineract-Entity"), r.Header.Get("X-Fineract-Action"), body, s.cfg.HookEvents)
	if err != nil {
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if !answer.Stored {
		web.JSON(w, http.StatusOK, answer)
		return
	}
	ev.ReceivedAt = s.cfg.Now()
	added, err := s.db.AddHookEvent(ev)
	if err != nil {
		s.cfg.Log.Error("Fineract hook event not stored", "event", ev.Key, "err", err)
		web.Error(w, http.StatusServiceUnavailable, "the box could not store the event")
		return
	}
	if added {
		s.cfg.Hooked()
		s.cfg.Log.Info("Fineract hook event stored", "event", ev.Key)
	}
	web.JSON(w, http.StatusOK, HookAnswer{Stored: true, Duplicate: !added})
}

// ParseHook reads a Web hook call. An event not among chosen, or one for a
// command that failed in Fineract, is answered without being stored
// (answer.Stored false, with the reason). A chosen event must name its
// loan and resource; its key (tenant, event, resource, command) makes it
// unique, so the same event posted twice is one event.
func ParseHook(tenant, entityHeader, actionHeader string, body []byte, chosen []string) (store.HookEvent, HookAnswer, error) {
	var b hookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return store.HookEvent{}, HookAnswer{}, fmt.Errorf("the body must be the JSON object of Fineract's Web hook (content type json): %s", shortError(err))
	}
	entity := strings.ToUpper(strings.TrimSpace(firstOf(entityHeader, b.EntityName)))
	action := strings.ToUpper(strings.TrimSpace(firstOf(actionHeader, b.ActionName)))
	if entity == "" || action == "" {
		return store.HookEvent{}, HookAnswer{}, fmt.Errorf("the event is not named: send the headers X-Fineract-Entity and X-Fineract-Action")
	}
	name := entity + "/" + action
	if !slices.Contains(chosen, name) {
		return store.HookEvent{}, HookAnswer{Reason: "event " + clip(name, 60) + " is not in [fineract_hooks] events"}, nil
	}
	if strings.EqualFold(b.Status, "Exception") {
		return store.HookEvent{}, HookAnswer{Reason: "the command failed in Fineract"}, nil
	}
	resp := b.Response
	loanID := resp.LoanID
	if loanID == 0 && entity == "LOAN" && action != "REPAYMENT" {
		loanID = resp.ResourceID // approve and disburse answer with the loan itself
	}
	switch {
	case resp.ResourceID <= 0:
		return store.HookEvent{}, HookAnswer{}, fmt.Errorf("event %s has no response.resourceId", name)
	case loanID <= 0:
		return store.HookEvent{}, HookAnswer{}, fmt.Errorf("event %s has no response.loanId", name)
	}
	clientID := firstID(resp.ClientID, b.ClientID)
	// A repayment's resourceId is its transaction, unique for ever. A loan
	// may be approved again after an undo: the command id tells the two
	// approvals apart (0 on servers that leave it out: one SMS then).
	key := strings.Join([]string{tenant, name, strconv.FormatInt(resp.ResourceID, 10)}, "/")
	if action != "REPAYMENT" {
		key += "/" + strconv.FormatInt(resp.CommandID, 10)
	}
	return store.HookEvent{
		Key: key, Tenant: tenant, Entity: entity, Action: action,
		ResourceID: resp.ResourceID, LoanID: loanID, ClientID: clientID, CommandID: resp.CommandID,
	}, HookAnswer{Stored: true}, nil
}

func firstOf(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func firstID(a, b int64) int64 {
	if a > 0 {
		return a
	}
	return b
}
