package store

import (
	"errors"
	"time"
)

// The branch console's records, in extension buckets created on first
// write: who may sign in while Fineract is unreachable, and the open
// sessions. Neither holds a password or a session id in clear.
const (
	extConsoleUsers    = "console_users"    // username -> ConsoleUser
	extConsoleSessions = "console_sessions" // SHA-256 of the session id -> ConsoleSession
)

// ConsoleUser is a Fineract user who signed in to the console while
// Fineract answered: the argon2id hash of the password Fineract accepted
// and what Fineract said about the user then, so the same user can sign in
// (read-only) while Fineract is unreachable.
type ConsoleUser struct {
	Username    string    `json:"username"`
	Hash        string    `json:"hash"`
	UserID      int64     `json:"user_id"`
	OfficeID    int64     `json:"office_id"`
	OfficeName  string    `json:"office_name"`
	StaffID     int64     `json:"staff_id"`
	Permissions []string  `json:"permissions"`
	VerifiedAt  time.Time `json:"verified_at"` // last time Fineract accepted the password
}

// ConsoleSession is one signed-in browser. It is stored under the SHA-256
// of its id: a copy of the store does not give a usable cookie.
type ConsoleSession struct {
	Username    string    `json:"username"`
	UserID      int64     `json:"user_id"`
	OfficeID    int64     `json:"office_id"`
	OfficeName  string    `json:"office_name"`
	StaffID     int64     `json:"staff_id"`
	Permissions []string  `json:"permissions"`
	Offline     bool      `json:"offline"` // signed in against the stored hash: read-only
	CreatedAt   time.Time `json:"created_at"`
	SeenAt      time.Time `json:"seen_at"`
}

// PutConsoleUser stores u under its username, replacing what was there.
func (db *DB) PutConsoleUser(u ConsoleUser) error {
	if u.Username == "" || u.Hash == "" {
		return errors.New("a console user needs a username and a password hash")
	}
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extConsoleUsers)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(u.Username), u)
	})
}

// ConsoleUser returns the user stored under username; found is false when
// there is none.
func (db *DB) ConsoleUser(username string) (u ConsoleUser, found bool, err error) {
	err = db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extConsoleUsers)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		found, err = getJSON(b, []byte(username), &u)
		return err
	})
	return u, found, err
}

// PutConsoleSession stores s under key (the hash of the session id).
func (db *DB) PutConsoleSession(key []byte, s ConsoleSession) error {
	if len(key) == 0 || s.Username == "" {
		return errors.New("a console session needs a key and a username")
	}
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extConsoleSessions)
		if err != nil {
			return err
		}
		return putJSON(b, key, s)
	})
}

// ConsoleSession returns the session stored under key.
func (db *DB) ConsoleSession(key []byte) (s ConsoleSession, found bool, err error) {
	err = db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extConsoleSessions)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		found, err = getJSON(b, key, &s)
		return err
	})
	return s, found, err
}

// DeleteConsoleSession removes the session under key; a missing one is
// not an error (signing out twice).
func (db *DB) DeleteConsoleSession(key []byte) error {
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extConsoleSessions)
		if err != nil {
			return err
		}
		return b.Delete(key)
	})
}

// PruneConsoleSessions removes every session expired says is over and
// returns how many went.
func (db *DB) PruneConsoleSessions(expired func(ConsoleSession) bool) (int, error) {
	n := 0
	err := db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extConsoleSessions)
		if err != nil {
			return err
		}
		var gone [][]byte
		err = b.ForEach(func(k, _ []byte) error {
			var s ConsoleSession
			if _, err := getJSON(b, k, &s); err != nil || expired(s) {
				gone = append(gone, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(gone)
		return nil
	})
	return n, err
}
