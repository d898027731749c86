package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mifos-edge/mifos-edge/store"
	"github.com/mifos-edge/mifos-edge/web"
)

// Paging bounds for GET /api/v1/messages.
const (
	defaultLimit = 100
	maxLimit     = 500
	// maxScan bounds the feed entries one call walks: the feed also holds
	// other events, and a call must stay short however many there are. A
	// page may then hold fewer than limit messages; has_more says to go on.
	maxScan = 5000
)

// MessagePage is the answer of GET /api/v1/messages.
type MessagePage struct {
	Messages []Message `json:"messages"`
	// NextCursor is the since of the next call; it only grows.
	NextCursor string `json:"next_cursor"`
	HasMore    bool   `json:"has_more"`
}

// listMessages lists received SMS in the order the box finished with them
// (the store's feed), after the cursor since. A message appears once it is
// handled: until then its text may still hold an officer's PIN, which the
// handling blanks out. Messages parked for a person (undecodable, a flood
// past a day) are not listed.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := parseCursor(q.Get("since"))
	if err != nil {
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		web.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	page := MessagePage{Messages: []Message{}}
	err = s.DB.View(func(tx *store.Tx) error {
		page.Messages = page.Messages[:0]
		last, scanned := since, 0
		err := tx.FeedAfter(since, func(e store.FeedEntry) (bool, error) {
			scanned++
			if e.Kind == store.FeedMessage {
				m, err := tx.Message(e.ID)
				if errors.Is(err, store.ErrNotFound) {
					// Pruned after the retention period.
				} else if err != nil {
					return false, err
				} else {
					page.Messages = append(page.Messages, MessageOf(tx, m, s.Country))
				}
			}
			last = e.Seq
			return len(page.Messages) < limit && scanned < maxScan, nil
		})
		page.NextCursor = strconv.FormatUint(last, 10)
		page.HasMore = tx.FeedHead() > last
		return err
	})
	if err != nil {
		web.Error(w, http.StatusServiceUnavailable, "the box cannot read its store; try again")
		return
	}
	web.JSON(w, http.StatusOK, page)
}

func parseCursor(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("since=%q is not a cursor: pass the next_cursor of the previous answer, or leave it out to start from the oldest message kept", s)
	}
	return n, nil
}

func parseLimit(s string) (int, error) {
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, fmt.Errorf("limit=%q: give a whole number from 1 to %d", s, maxLimit)
	}
	return n, nil
}
