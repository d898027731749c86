package store

import (
	"errors"
	"fmt"
	"time"
)

// The directory caches which Fineract client a phone belongs to, so a BAL
// can be answered (from a snapshot) while Fineract is unreachable, and keeps
// the client PIN hashes officers set. Both live in extension buckets, created
// on first write, so no schema change is needed.
const (
	extPhoneClients = "phone_client"
	extClientPINs   = "client_pin"
)

// PhoneClient is the cached answer to "whose phone is this?".
type PhoneClient struct {
	Phone    string `json:"phone"` // E.164
	ClientID int64  `json:"client_id,omitempty"`
	Name     string `json:"name,omitempty"`
	// NotRegistered records that no active client has this phone, so a
	// stranger texting BAL repeatedly does not cost a Fineract search each time.
	NotRegistered bool      `json:"not_registered,omitempty"`
	CheckedAt     time.Time `json:"checked_at"`
}

// PutPhoneClient stores (or replaces) the mapping for p.Phone.
func (db *DB) PutPhoneClient(p PhoneClient) error {
	if p.Phone == "" {
		return errors.New("phone directory: the phone number is empty")
	}
	// A registered entry must name its client, or a BAL could be answered for nobody.
	if !p.NotRegistered && p.ClientID <= 0 {
		return fmt.Errorf("phone directory: %s is marked registered but has no client id", p.Phone)
	}
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extPhoneClients)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(p.Phone), p)
	})
}

// PhoneClient returns the cached mapping for phone (E.164); ok is false when
// the phone was never looked up.
func (db *DB) PhoneClient(phone string) (PhoneClient, bool, error) {
	var p PhoneClient
	var ok bool
	err := db.View(func(tx *Tx) (err error) {
		p, ok, err = tx.PhoneClient(phone)
		return err
	})
	return p, ok, err
}

// PhoneClient is DB.PhoneClient inside a transaction.
func (tx *Tx) PhoneClient(phone string) (PhoneClient, bool, error) {
	var p PhoneClient
	b, err := tx.Bucket(extPhoneClients)
	if errors.Is(err, ErrNotFound) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	ok, err := getJSON(b, []byte(phone), &p)
	if err != nil {
		return PhoneClient{}, false, fmt.Errorf("phone directory %s: %w", phone, err)
	}
	return p, ok, nil
}

// ClientPhones lists every cached phone that belongs to a client (not the
// "not registered" entries), in phone order.
func (db *DB) ClientPhones() ([]PhoneClient, error) {
	var out []PhoneClient
	err := db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extPhoneClients)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			var p PhoneClient
			if _, err := getJSON(b, k, &p); err != nil {
				return fmt.Errorf("phone directory entry %s: %w", k, err)
			}
			if !p.NotRegistered {
				out = append(out, p)
			}
			return nil
		})
	})
	return out, err
}

// ForgetPhoneClients removes cached phone -> client answers: only phone's
// (E.164) when phone is not "", else every one, registered or not. It
// returns how many it removed. The next BAL from such a phone asks Fineract
// again, and while Fineract cannot be reached it is not answered. Balance
// snapshots stay: they are keyed by client and found only through a
// mapping, so the client's other phones keep their offline answer.
func (db *DB) ForgetPhoneClients(phone string) (int, error) {
	removed := 0
	err := db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extPhoneClients)
		if err != nil {
			return err
		}
		if phone != "" {
			if b.Get([]byte(phone)) == nil {
				return nil
			}
			removed = 1
			return b.Delete([]byte(phone))
		}
		var keys [][]byte
		if err := b.ForEach(func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return nil
		}); err != nil {
			return err
		}
		// Keys are collected first: deleting while iterating skips entries.
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		removed = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("phone directory: forget cached phones: %w", err)
	}
	return removed, nil
}

// PutClientPIN stores the PIN hash (an encoded argon2id hash made by the
// officer package; never the PIN itself) a client must give with BAL.
func (db *DB) PutClientPIN(clientID int64, hash string) error {
	if clientID <= 0 {
		return fmt.Errorf("client PIN: invalid client id %d", clientID)
	}
	if hash == "" {
		return errors.New("client PIN: the hash is empty")
	}
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extClientPINs)
		if err != nil {
			return err
		}
		// A new PIN is a fresh start: the lock of the old one goes with it.
		if err := tx.PutPINGuard(PINGuard{Subject: ClientSubject(clientID)}); err != nil {
			return err
		}
		return b.Put(idKey(uint64(clientID)), []byte(hash))
	})
}

// ClientPIN returns the stored PIN hash of a client; ok is false when no PIN is set.
func (db *DB) ClientPIN(clientID int64) (hash string, ok bool, err error) {
	err = db.View(func(tx *Tx) error {
		hash, ok, err = tx.ClientPIN(clientID)
		return err
	})
	return hash, ok, err
}

// ClientPIN is DB.ClientPIN inside a transaction.
func (tx *Tx) ClientPIN(clientID int64) (hash string, ok bool, err error) {
	b, err := tx.Bucket(extClientPINs)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if v := b.Get(idKey(uint64(clientID))); v != nil {
		return string(v), true, nil
	}
	return "", false, nil
}

// PutClientPINHash replaces a client's PIN hash and nothing else: the same
// PIN hashed again, not a new PIN.
func (tx *Tx) PutClientPINHash(clientID int64, hash string) error {
	if hash == "" {
		return errors.New("client PIN: the hash is empty")
	}
	b, err := tx.Bucket(extClientPINs)
	if err != nil {
		return err
	}
	return b.Put(idKey(uint64(clientID)), []byte(hash))
}
