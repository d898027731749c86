package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// What officers sent by SMS, kept for the money rules: the commands posted
// recently (a repeat is held for confirmation), the commands held, and the
// amounts posted per day (the daily ceiling). Extension buckets, created on
// first write.
const (
	extOfficerCommands = "officer_commands" // officer \x00 command key -> PostedCommand
	extHeldCommands    = "held_commands"    // officer \x00 held id -> HeldCommand
	extOfficerDay      = "officer_day"      // officer \x00 day -> amount (millionths)
)

// PostedCommand is an officer command that reached the journal.
type PostedCommand struct {
	At        time.Time `json:"at"`
	MessageID uint64    `json:"message_id"`
}

// HeldCommand is an officer command not posted because it repeats a recent
// one; the officer confirms it with YES <PIN> [id]. ID is the held
// message's id; Args is the command as normalised, without the PIN.
type HeldCommand struct {
	ID      uint64    `json:"id"`
	Officer string    `json:"officer"`
	Keyword string    `json:"keyword"`
	Args    string    `json:"args"`
	HeldAt  time.Time `json:"held_at"`
	// Repeats is when the command it repeats was posted.
	Repeats time.Time `json:"repeats"`
}

func officerKey(officer, rest string) []byte { return []byte(officer + "\x00" + rest) }

// PostedCommand returns when officer last had the command key posted.
func (tx *Tx) PostedCommand(officer, key string) (PostedCommand, bool, error) {
	var p PostedCommand
	b, err := tx.Bucket(extOfficerCommands)
	if errors.Is(err, ErrNotFound) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	ok, err := getJSON(b, officerKey(officer, key), &p)
	return p, ok, err
}

// RecordCommand notes that officer's command key was posted now.
func (tx *Tx) RecordCommand(officer, key string, p PostedCommand) error {
	b, err := tx.Bucket(extOfficerCommands)
	if err != nil {
		return err
	}
	return putJSON(b, officerKey(officer, key), p)
}

// Hold keeps h for its officer's confirmation under h.ID (the id of the
// message that was held, which the officer is told).
func (tx *Tx) Hold(h HeldCommand) error {
	if h.ID == 0 || h.Officer == "" {
		return errors.New("a held command needs an id and an officer")
	}
	b, err := tx.Bucket(extHeldCommands)
	if err != nil {
		return err
	}
	return putJSON(b, officerKey(h.Officer, string(idKey(h.ID))), h)
}

// HeldCommands are officer's held commands, newest first.
func (tx *Tx) HeldCommands(officer string) ([]HeldCommand, error) {
	b, err := tx.Bucket(extHeldCommands)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []HeldCommand
	prefix := officerKey(officer, "")
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
		var h HeldCommand
		if err := json.Unmarshal(v, &h); err != nil {
			return nil, fmt.Errorf("held command of %s: %w", officer, err)
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// Release removes officer's held command id; ErrNotFound when there is none
// (already confirmed, or expired).
func (tx *Tx) Release(officer string, id uint64) error {
	b, err := tx.Bucket(extHeldCommands)
	if err != nil {
		return err
	}
	k := officerKey(officer, string(idKey(id)))
	if b.Get(k) == nil {
		return fmt.Errorf("held command %d of %s: %w", id, officer, ErrNotFound)
	}
	return b.Delete(k)
}

// OfficerDayTotal is what officer posted by SMS on day (millionths).
func (tx *Tx) OfficerDayTotal(officer, day string) (int64, error) {
	b, err := tx.Bucket(extOfficerDay)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v := b.Get(officerKey(officer, day))
	if len(v) != 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// AddOfficerDayTotal adds amount (millionths) to officer's total of day.
func (tx *Tx) AddOfficerDayTotal(officer, day string, amount int64) error {
	total, err := tx.OfficerDayTotal(officer, day)
	if err != nil {
		return err
	}
	b, err := tx.Bucket(extOfficerDay)
	if err != nil {
		return err
	}
	return b.Put(officerKey(officer, day), binary.BigEndian.AppendUint64(nil, uint64(total+amount)))
}

// OfficerLogAge is how long posted and held commands and day totals are
// kept: longer than the longest repeat window an MFI may set (a week).
const OfficerLogAge = 8 * 24 * time.Hour

// pruneOfficerLog drops posted commands and held commands older than
// before, and day totals of days before before's date. Keys are collected
// first because deleting under a live cursor skips keys.
func pruneOfficerLog(tx *Tx, before time.Time, limit int) (int, error) {
	n := 0
	for _, name := range []string{extOfficerCommands, extHeldCommands, extOfficerDay} {
		b, err := tx.Bucket(name)
		if err != nil {
			return n, err
		}
		var stale [][]byte
		err = b.ForEach(func(k, v []byte) error {
			if len(stale)+n >= limit {
				return nil
			}
			old := false
			switch name {
			case extOfficerDay:
				_, day, _ := strings.Cut(string(k), "\x00")
				old = day < before.Format(time.DateOnly)
			case extOfficerCommands:
				var p PostedCommand
				old = json.Unmarshal(v, &p) != nil || p.At.Before(before)
			default:
				var h HeldCommand
				old = json.Unmarshal(v, &h) != nil || h.HeldAt.Before(before)
			}
			if old {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return n, err
			}
		}
		n += len(stale)
	}
	return n, nil
}
