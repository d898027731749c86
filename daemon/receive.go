package daemon

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

// receive is the modem's sink: it makes one stored PDU durable. The modem
// deletes the PDU from the SIM only after this returns nil, so a crash at
// any point leaves the message on the SIM or in the store (or both, which
// the fingerprint dedupes).
func (d *Daemon) receive(ctx context.Context, in modem.Inbound) error {
	now := time.Now()
	seg, err := pdu.DecodeDeliver(in.PDU, in.TPDULen)
	if errors.Is(err, pdu.ErrNotDeliver) {
		// Status reports and stored SUBMITs are not messages to answer.
		d.log.Info("ignoring stored PDU that is not an incoming SMS", "storage", in.Storage, "index", in.Index, "why", err)
		return nil
	}
	var rec store.Segment
	if err != nil {
		// Park what we cannot read rather than drop it: a person can look at the raw PDU.
		rec = store.Segment{
			Fingerprint: d.fingerprint(in.PDU),
			RawPDU:      in.PDU,
			DecodeError: err.Error(),
			ReceivedAt:  now,
		}
		d.log.Warn("could not decode incoming SMS; parked for review", "storage", in.Storage, "index", in.Index, "err", err)
	} else {
		rec = store.Segment{
			Fingerprint: pdu.Fingerprint(seg, d.key.FingerprintKey()),
			Sender:      seg.Sender,
			SenderType:  string(seg.SenderType),
			SCTS:        seg.SCTS,
			Text:        seg.Text,
			Encoding:    seg.Encoding,
			RawPDU:      in.PDU,
			ReceivedAt:  now,
		}
		if seg.Concat != nil {
			rec.Concat = &store.Concat{Ref: seg.Concat.Ref, Total: seg.Concat.Total, Seq: seg.Concat.Seq, Wide: seg.Concat.Wide}
		}
	}
	res, err := d.db.AddSegment(rec)
	if err != nil {
		return err
	}
	switch {
	case res.Duplicate:
		d.log.Info("duplicate SMS ignored", "from", rec.Sender, "storage", in.Storage, "index", in.Index)
	case res.MessageID != 0:
		nudge(d.inboxReady)
	}
	return nil
}

// fingerprintVersion names the keyed fingerprints in the store; older
// stores get theirs replaced once (store.RekeyFingerprints).
const fingerprintVersion = "hmac-v2"

// fingerprint is the dedupe key of one PDU as the modem printed it: the
// keyed fingerprint of its decoded fields, or a keyed hash of the hex when
// it does not decode.
func (d *Daemon) fingerprint(rawPDU string) string {
	if seg, err := pdu.DecodeDeliver(rawPDU, -1); err == nil {
		return pdu.Fingerprint(seg, d.key.FingerprintKey())
	}
	m := hmac.New(sha256.New, d.key.FingerprintKey())
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(rawPDU))))
	return "raw:" + hex.EncodeToString(m.Sum(nil))
}

// joinRawPDUs re-decodes a complete long SMS so that a character split
// across two parts (a UCS2 surrogate pair) is joined whole.
func joinRawPDUs(raws []string) (string, bool) {
	segs := make([]pdu.Segment, 0, len(raws))
	for _, r := range raws {
		s, err := pdu.DecodeDeliver(r, -1)
		if err != nil {
			return "", false
		}
		segs = append(segs, s)
	}
	return pdu.JoinText(segs), true
}
