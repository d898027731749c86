package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// PartReport is the network's latest word on one part of an outbound SMS,
// from its status reports.
type PartReport struct {
	MR       int       `json:"mr"`
	Delivery Delivery  `json:"delivery,omitempty"` // "" while no report came for this part
	Status   int       `json:"status"`             // TP-ST of the report recorded
	At       time.Time `json:"at,omitzero"`        // the network's discharge time
	// Received is when the box got the report.
	Received time.Time `json:"received,omitzero"`
}

// StatusReport is one SMS-STATUS-REPORT to record against the outbox.
type StatusReport struct {
	MR        int       // TP-MR, the reference +CMGS returned for the part
	Recipient string    // as the network wrote it; for logs and the unmatched list
	Status    int       // TP-ST
	Delivery  Delivery  // what Status means (the caller classifies it)
	SCTS      time.Time // when the service centre took the part
	Discharge time.Time // when the status was reached
	// SameRecipient reports whether an outbound message's To is the
	// report's recipient. The store compares no numbers itself: the caller
	// knows that 0712345678 and +254712345678 are one phone.
	SameRecipient func(to string) bool
	// Since bounds the search: only messages submitted at or after it
	// (and those still submitting) can match. Message references wrap
	// after 256 parts, so an old message must not take a new report.
	Since time.Time
}

// ReportResult says what RecordStatusReport did.
type ReportResult struct {
	Matched  bool     // an outbound part took the report
	ID       uint64   // that message
	Part     int      // 0-based part
	Changed  bool     // false for a repeat or a late report on a finished part
	Delivery Delivery // the message's delivery state afterwards
}

// unmatchedReports keeps reports that matched no outbound part, newest last,
// for a person to look at; at most maxUnmatchedReports of them.
const (
	unmatchedReportsBucket = "status_reports_unmatched"
	maxUnmatchedReports    = 500
)

// UnmatchedReport is a status report that fit no outbound message.
type UnmatchedReport struct {
	MR        int       `json:"mr"`
	Recipient string    `json:"recipient"`
	Status    int       `json:"status"`
	SCTS      time.Time `json:"scts,omitzero"`
	Discharge time.Time `json:"discharge,omitzero"`
	Received  time.Time `json:"received"`
}

// RecordStatusReport records a status report against the outbound part it
// answers: among the messages still submitting and those submitted since
// r.Since, one whose message references contain r.MR and whose recipient
// is r.SameRecipient. When several fit, a part that already holds this
// very report wins (a repeat changes nothing), then the most recent
// message whose part has no final report yet, then the most recent.
//
// A part's state moves from nothing to pending to delivered or failed; a
// final state is never changed by a later report. The message's Delivery
// is delivered once every part is delivered, failed once any part failed,
// pending otherwise; DeliveredAt is the latest discharge time of the final
// reports once the message's Delivery is final.
//
// A report that fits nothing is kept in a bounded list (UnmatchedReports)
// and is no error: the caller may delete it from the SIM.
func (db *DB) RecordStatusReport(r StatusReport, now time.Time) (ReportResult, error) {
	if r.SameRecipient == nil {
		return ReportResult{}, errors.New("status report without a recipient matcher")
	}
	switch r.Delivery {
	case DeliveryPending, DeliveryDelivered, DeliveryFailed:
	default:
		return ReportResult{}, fmt.Errorf("status report with unknown delivery state %q", r.Delivery)
	}
	var res ReportResult
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		res = ReportResult{}
		cands, err := reportCandidates(btx, r)
		if err != nil {
			return err
		}
		if len(cands) == 0 {
			return keepUnmatched(btx, r, now)
		}
		pick := pickCandidate(cands, r)
		old := pick.o
		o := old
		o.MRs = slices.Clone(old.MRs)
		o.Reports = make([]PartReport, len(o.MRs))
		copy(o.Reports, old.Reports)
		for i := range o.Reports {
			o.Reports[i].MR = o.MRs[i]
		}
		res = ReportResult{Matched: true, ID: o.ID, Part: pick.part, Delivery: old.Delivery}
		p := &o.Reports[pick.part]
		if !reportMoves(*p, r) {
			return nil
		}
		p.Delivery, p.Status, p.At, p.Received = r.Delivery, r.Status, r.Discharge, now
		o.Delivery, o.DeliveredAt = messageDelivery(&o)
		o.UpdatedAt = now
		res.Changed, res.Delivery = true, o.Delivery
		return saveOutbound(btx, &old, &o)
	})
	if err != nil {
		return ReportResult{}, fmt.Errorf("record status report for reference %d: %w", r.MR, err)
	}
	return res, nil
}

type reportCandidate struct {
	o    Outbound
	part int
}

// reportCandidates lists the fitting parts, most recent message first:
// those still submitting (a long SMS's first parts are answered before
// its last is sent), then the submitted ones newest first.
func reportCandidates(btx *bbolt.Tx, r StatusReport) ([]reportCandidate, error) {
	var ids []uint64
	c := btx.Bucket(outStateBucket(OutSubmitting)).Cursor()
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		ids = append(ids, keyID(k))
	}
	since := timeKey(r.Since)
	c = btx.Bucket(bucketOutSubmittedAt).Cursor()
	for k, _ := c.Last(); k != nil && string(k[:8]) >= string(since); k, _ = c.Prev() {
		ids = append(ids, keyID(k[8:]))
	}
	var out []reportCandidate
	for _, id := range ids {
		o, err := loadOutbound(btx, id)
		if err != nil {
			return nil, err
		}
		if !r.SameRecipient(o.To) {
			continue
		}
		for part, mr := range o.MRs {
			if mr == r.MR {
				out = append(out, reportCandidate{o: o, part: part})
			}
		}
	}
	return out, nil
}

func pickCandidate(cands []reportCandidate, r StatusReport) reportCandidate {
	for _, c := range cands {
		if p, ok := partReport(c); ok && p.Delivery == r.Delivery && p.Status == r.Status && p.At.Equal(r.Discharge) {
			return c // this very report was recorded already
		}
	}
	for _, c := range cands {
		if p, _ := partReport(c); !final(p.Delivery) {
			return c
		}
	}
	return cands[0]
}

func partReport(c reportCandidate) (PartReport, bool) {
	if c.part < len(c.o.Reports) {
		return c.o.Reports[c.part], true
	}
	return PartReport{}, false
}

func final(d Delivery) bool { return d == DeliveryDelivered || d == DeliveryFailed }

// reportMoves says whether r changes the part's state: a first report, a
// pending one replaced by a newer word, never a final one undone.
func reportMoves(p PartReport, r StatusReport) bool {
	switch {
	case p.Delivery == "":
		return true
	case final(p.Delivery):
		return false
	}
	// Pending: a final word moves it; another pending report only if it is news.
	return final(r.Delivery) || p.Status != r.Status || !p.At.Equal(r.Discharge)
}

// messageDelivery folds the parts' reports into the message's state.
func messageDelivery(o *Outbound) (Delivery, time.Time) {
	var latest time.Time
	delivered := 0
	anyReport, failed := false, false
	for _, p := range o.Reports {
		switch p.Delivery {
		case "":
			continue
		case DeliveryFailed:
			failed = true
		case DeliveryDelivered:
			delivered++
		}
		anyReport = true
		if final(p.Delivery) && p.At.After(latest) {
			latest = p.At
		}
	}
	total := max(o.TotalParts, len(o.MRs))
	switch {
	case failed:
		return DeliveryFailed, latest
	case delivered == total && o.State == OutSubmitted:
		return DeliveryDelivered, latest
	case anyReport:
		return DeliveryPending, time.Time{}
	}
	return "", time.Time{}
}

func keepUnmatched(btx *bbolt.Tx, r StatusReport, now time.Time) error {
	ext := btx.Bucket(bucketExt)
	b, err := ext.CreateBucketIfNotExists([]byte(unmatchedReportsBucket))
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	u := UnmatchedReport{MR: r.MR, Recipient: r.Recipient, Status: r.Status, SCTS: r.SCTS, Discharge: r.Discharge, Received: now}
	if err := putJSON(b, idKey(seq), &u); err != nil {
		return err
	}
	// Sequences only grow, so the one falling out of the window is known.
	if seq > maxUnmatchedReports {
		return b.Delete(idKey(seq - maxUnmatchedReports))
	}
	return nil
}

// UnmatchedReports returns the kept status reports that fit no outbound
// message, newest first, at most limit (<= 0: all).
func (db *DB) UnmatchedReports(limit int) ([]UnmatchedReport, error) {
	var out []UnmatchedReport
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		b := btx.Bucket(bucketExt).Bucket([]byte(unmatchedReportsBucket))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var u UnmatchedReport
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	return out, err
}
