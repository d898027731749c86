package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// extGatewaySMS remembers every message id an SMS-gateway client (Fineract)
// handed over or asked about, so a batch sent twice is queued once and a
// delivery report can be given for each id.
const extGatewaySMS = "gateway_sms" // tenant NUL internal id (8 bytes) -> GatewayRecord

// GatewayRecord is what the box knows of one gateway message id.
type GatewayRecord struct {
	// OutboxID is the outbound SMS queued for it (0: none).
	OutboxID uint64 `json:"outbox_id,omitempty"`
	// Refused says why the box refused to send it (a number it cannot
	// send to, an empty text, an id reported lost); never sent then.
	Refused string `json:"refused,omitempty"`
	// AskedAt is when a report was first asked for the id while the box
	// had not received it.
	AskedAt time.Time `json:"asked_at,omitzero"`
	// At is when the id was queued or refused.
	At time.Time `json:"at,omitzero"`
}

// Final reports whether the id was queued or refused: a later copy of it
// changes nothing.
func (r GatewayRecord) Final() bool { return r.OutboxID != 0 || r.Refused != "" }

// GatewayItem is one message of a gateway batch: Out is queued unless
// Refused says why not.
type GatewayItem struct {
	InternalID int64
	Out        Outbound
	Refused    string
}

// GatewayOutcome counts what GatewayAccept did with a batch.
type GatewayOutcome struct {
	Queued, Refused, Duplicates int
}

func gatewayKey(tenant string, internalID int64) []byte {
	k := make([]byte, 0, len(tenant)+9)
	k = append(k, tenant...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(internalID))
}

// GatewayAccept queues or refuses every item of a batch for tenant in one
// transaction, with the record of its id: an id already queued or refused
// (the same batch sent again, or twice in one batch) is counted as a
// duplicate and left alone. The whole batch commits or nothing does.
func (db *DB) GatewayAccept(tenant string, items []GatewayItem) (GatewayOutcome, error) {
	var res GatewayOutcome
	err := db.Update(func(tx *Tx) error {
		res = GatewayOutcome{}
		b, err := tx.Bucket(extGatewaySMS)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, it := range items {
			key := gatewayKey(tenant, it.InternalID)
			var old GatewayRecord
			if _, err := getJSON(b, key, &old); err != nil {
				return err
			}
			if old.Final() {
				res.Duplicates++
				continue
			}
			rec := GatewayRecord{AskedAt: old.AskedAt, At: now}
			if it.Refused != "" {
				rec.Refused = it.Refused
				res.Refused++
			} else {
				if rec.OutboxID, err = tx.Enqueue(it.Out); err != nil {
					return fmt.Errorf("gateway message %d: %w", it.InternalID, err)
				}
				res.Queued++
			}
			if err := putJSON(b, key, rec); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// GatewayLookup is one id's record and its outbound SMS.
type GatewayLookup struct {
	InternalID int64
	Record     GatewayRecord
	Known      bool // the id has a record
	// Out is the queued SMS; OutGone means it was pruned (only submitted
	// messages are).
	Out     Outbound
	OutGone bool
}

// GatewayReport looks up ids of tenant for a delivery report. An id the
// box never received is remembered with the time it was first asked for;
// once that is lostAfter ago, the id is refused as lost (and so never sent
// if it arrives later).
func (db *DB) GatewayReport(tenant string, ids []int64, now time.Time, lostAfter time.Duration) ([]GatewayLookup, error) {
	out := make([]GatewayLookup, 0, len(ids))
	err := db.Update(func(tx *Tx) error {
		out = out[:0]
		b, err := tx.Bucket(extGatewaySMS)
		if err != nil {
			return err
		}
		for _, id := range ids {
			key := gatewayKey(tenant, id)
			l := GatewayLookup{InternalID: id}
			l.Known, err = getJSON(b, key, &l.Record)
			if err != nil {
				return err
			}
			switch {
			case l.Record.OutboxID != 0:
				l.Out, err = loadOutbound(tx.btx, l.Record.OutboxID)
				if errors.Is(err, ErrNotFound) {
					l.OutGone, err = true, nil
				}
				if err != nil {
					return err
				}
			case l.Record.Refused != "":
			case !l.Known:
				l.Record.AskedAt = now
				if err := putJSON(b, key, l.Record); err != nil {
					return err
				}
			case now.Sub(l.Record.AskedAt) >= lostAfter:
				l.Record.Refused = fmt.Sprintf("the gateway never received this message (asked about since %s); not sent", l.Record.AskedAt.UTC().Format(time.RFC3339))
				l.Record.At = now
				if err := putJSON(b, key, l.Record); err != nil {
					return err
				}
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// PruneGateway deletes records of ids queued, refused or first asked about
// before `before`, at most limit of them; the count deleted is returned.
func (db *DB) PruneGateway(before time.Time, limit int) (int, error) {
	var n int
	err := db.Update(func(tx *Tx) error {
		n = 0
		b, err := tx.Bucket(extGatewaySMS)
		if err != nil {
			return err
		}
		var old [][]byte
		err = b.ForEach(func(k, v []byte) error {
			if len(old) >= limit {
				return nil
			}
			var r GatewayRecord
			if _, err := getJSON(b, k, &r); err != nil {
				return nil // a corrupt record is left for a person to see
			}
			at := r.At
			if at.IsZero() {
				at = r.AskedAt
			}
			if at.Before(before) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}
