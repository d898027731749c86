package daemon

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warthog618/sms/encoding/gsm7"
	"github.com/warthog618/sms/encoding/tpdu"
	"github.com/warthog618/sms/encoding/ucs2"
	"go.etcd.io/bbolt"

	"github.com/mifos-edge/mifos-edge/config"
	"github.com/mifos-edge/mifos-edge/modem"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/pdu"
	"github.com/mifos-edge/mifos-edge/store"
)

const officerNumber = "+254722000012"

// deliverPDU is an SMS-DELIVER as a modem prints it (empty SMSC field),
// from a numeric sender of type international.
func deliverPDU(t *testing.T, from, text string, scts time.Time) (string, int) {
	t.Helper()
	tp, err := tpdu.NewDeliver(tpdu.WithOA(tpdu.NewAddress(tpdu.FromNumber(from))))
	if err != nil {
		t.Fatal(err)
	}
	tp.SCTS = tpdu.Timestamp{Time: scts}
	if ud, err := gsm7.Encode([]byte(text)); err == nil {
		tp.UD = ud
	} else {
		dcs, _ := tpdu.DCS(0).WithAlphabet(tpdu.AlphaUCS2)
		tp.SetDCS(byte(dcs))
		tp.UD = ucs2.Encode([]rune(text))
	}
	b, err := tp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return "00" + strings.ToUpper(hex.EncodeToString(b)), len(b)
}

// secretsDaemon is a daemon that is opened but not run: its receive and
// handle stages are driven by the test, with an enrolled officer whose
// PIN is 4 digits (as before 6 became the minimum) and the log captured.
func secretsDaemon(t *testing.T) (*Daemon, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	cfg := &config.Config{}
	cfg.Modem.Device = filepath.Join(dir, "no-modem")
	cfg.Store.Path = filepath.Join(dir, "state.db")
	cfg.SMS.Country = "KE"
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	d, err := Open(cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.db.Close() })
	hash, err := officer.HashPIN("4826", d.Pepper())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.db.AddOfficer(store.Officer{Phone: officerNumber, StaffID: 12, Name: "Peter", PINHash: hash}); err != nil {
		t.Fatal(err)
	}
	return d, &logs
}

// handleAll runs the handle stage over everything pending.
func handleAll(t *testing.T, d *Daemon) {
	t.Helper()
	msgs, err := d.db.PendingMessages(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := d.handleOne(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// The security review's experiment: from the store file alone, the PIN of
// every handled PAY came back in well under a second by putting each
// candidate in place of "****" and comparing fingerprints. With keyed
// fingerprints the candidates match nothing unless the box key is known.
func TestStoreAloneDoesNotGiveBackPINs(t *testing.T) {
	d, _ := secretsDaemon(t)
	scts := time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("", 3*3600))
	raw, n := deliverPDU(t, officerNumber, "PAY 4826 42 S=11", scts)
	if err := d.receive(context.Background(), modem.Inbound{PDU: raw, TPDULen: n}); err != nil {
		t.Fatal(err)
	}
	handleAll(t, d)
	handled, err := d.db.ListMessages(store.MessageHandled, 0)
	if err != nil || len(handled) != 1 || handled[0].Text != "PAY **** 42 S=11" || len(handled[0].RawPDUs) != 0 {
		t.Fatalf("handled %+v, %v; want the PIN blanked out and no raw PDU", handled, err)
	}
	stored := map[string]bool{}
	readFingerprints(t, d, stored)
	if len(stored) != 1 {
		t.Fatalf("%d fingerprints stored, want 1", len(stored))
	}
	m := handled[0]
	recover := func(key []byte) string {
		for c := range 10000 {
			guess := fmt.Sprintf("%04d", c)
			seg := pdu.Segment{Sender: m.Sender, SenderType: pdu.SenderType(m.SenderType), SCTS: m.SCTS,
				UD: septets(t, strings.Replace(m.Text, "****", guess, 1))}
			if stored[pdu.Fingerprint(seg, key)] {
				return guess
			}
		}
		return ""
	}
	if pin := recover(nil); pin != "" {
		t.Fatalf("the PIN %s came back from the store alone", pin)
	}
	if pin := recover([]byte("a guessed key of thirty-two bytes")); pin != "" {
		t.Fatalf("the PIN %s came back with a guessed key", pin)
	}
	// The search itself works: with the box key it finds the PIN.
	if pin := recover(d.key.FingerprintKey()); pin != "4826" {
		t.Fatalf("with the box key the search found %q; the test does not search what is stored", pin)
	}
}

func septets(t *testing.T, text string) []byte {
	t.Helper()
	ud, err := gsm7.Encode([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return ud
}

// readFingerprints reads the store's fingerprint bucket as a thief with the
// file would.
func readFingerprints(t *testing.T, d *Daemon, into map[string]bool) {
	t.Helper()
	path := d.db.Path()
	if err := d.db.Close(); err != nil {
		t.Fatal("close:", err)
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("fp")).ForEach(func(k, _ []byte) error { into[string(k)] = true; return nil })
	})
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	reopened, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.db = reopened
}

// The security review's experiment: a mistyped keyword ("Pay1111"), a
// look-alike letter (Cyrillic А) or a zero-width space left the officer's
// PIN in the store, with the raw PDU, and the first word in the log.
func TestUnmatchedOfficerMessagesKeepNoPIN(t *testing.T) {
	d, logs := secretsDaemon(t)
	texts := []string{"Pay1111 42 L1=5", "P\u0410Y 4826 42 S=11", "PAY\u200b 4826 42 S=11"}
	base := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	for i, text := range texts {
		raw, n := deliverPDU(t, officerNumber, text, base.Add(time.Duration(i)*time.Minute))
		if err := d.receive(context.Background(), modem.Inbound{PDU: raw, TPDULen: n}); err != nil {
			t.Fatal(err)
		}
	}
	// The same typo from a phone that is not an officer's is kept as sent.
	raw, n := deliverPDU(t, "+254700000009", "Pay1111 42", base)
	if err := d.receive(context.Background(), modem.Inbound{PDU: raw, TPDULen: n}); err != nil {
		t.Fatal(err)
	}
	handleAll(t, d)
	handled, err := d.db.ListMessages(store.MessageHandled, 0)
	if err != nil || len(handled) != 4 {
		t.Fatalf("handled %d messages, %v", len(handled), err)
	}
	for _, m := range handled {
		if m.Sender != officerNumber {
			if m.Text != "Pay1111 42" {
				t.Errorf("a stranger's message was changed to %q", m.Text)
			}
			continue
		}
		if strings.Contains(m.Text, "1111") || strings.Contains(m.Text, "4826") || len(m.RawPDUs) != 0 {
			t.Errorf("stored %q with %d raw PDUs: the PIN stays in the store", m.Text, len(m.RawPDUs))
		}
	}
	for _, pin := range []string{"1111", "4826", "PAY1111", "Pay1111"} {
		if strings.Contains(logs.String(), pin) {
			t.Errorf("the log holds %q:\n%s", pin, logs.String())
		}
	}
}

// A parked message (here the late part of a long SMS delivered without it)
// from an officer's phone is stored with its digit runs blanked out.
func TestParkedOfficerMessageKeepsNoPIN(t *testing.T) {
	d, _ := secretsDaemon(t)
	seg := store.Segment{Fingerprint: "f1", Sender: officerNumber, SenderType: string(pdu.SenderInternational),
		Text: "PAY 4826 42 L1=5", RawPDU: "00", ReceivedAt: time.Now(),
		Concat: &store.Concat{Ref: 7, Total: 300, Seq: 1}} // a header no network sends: parked
	res, err := d.db.AddSegment(seg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.db.Message(res.MessageID)
	if err != nil || m.State != store.MessageParked {
		t.Fatalf("message %+v, %v; want parked", m, err)
	}
	if strings.Contains(m.Text, "4826") || len(m.RawPDUs) != 0 {
		t.Fatalf("parked %q with %d raw PDUs", m.Text, len(m.RawPDUs))
	}
}
