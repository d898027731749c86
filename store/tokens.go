package store

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// extTokens holds the API tokens by id; an extension bucket, created on
// first write.
const extTokens = "api_tokens" // id (8 hex digits) -> APIToken

// ErrNoToken means no token has that id.
var ErrNoToken = errors.New("no API token with this id")

// APIToken is a bearer token for the HTTP API. Only the SHA-256 of the
// token text is kept; the text is shown once, when the token is made.
type APIToken struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	Hash      []byte    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// LastUsedAt is updated at most once a minute per token, so busy
	// integrators do not turn every request into a disk write.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Revoked reports whether the token was revoked.
func (t APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// AddToken stores t; its id must be new.
func (db *DB) AddToken(t APIToken) error {
	if t.ID == "" || len(t.Hash) == 0 || t.Name == "" || len(t.Scopes) == 0 {
		return errors.New("an API token needs an id, a hash, a name and a scope")
	}
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extTokens)
		if err != nil {
			return err
		}
		if b.Get([]byte(t.ID)) != nil {
			return fmt.Errorf("API token id %s exists already", t.ID)
		}
		if t.CreatedAt.IsZero() {
			t.CreatedAt = time.Now()
		}
		return putJSON(b, []byte(t.ID), t)
	})
}

// Token returns the token with id, revoked or not.
func (db *DB) Token(id string) (APIToken, error) {
	var t APIToken
	err := db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extTokens)
		if errors.Is(err, ErrNotFound) {
			return ErrNoToken
		} else if err != nil {
			return err
		}
		found, err := getJSON(b, []byte(id), &t)
		if err == nil && !found {
			return ErrNoToken
		}
		return err
	})
	return t, err
}

// Tokens lists every token, oldest first.
func (db *DB) Tokens() ([]APIToken, error) {
	var out []APIToken
	err := db.View(func(tx *Tx) error {
		b, err := tx.Bucket(extTokens)
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var t APIToken
			if _, err := getJSON(b, k, &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// RevokeToken marks the token revoked; revoking twice keeps the first time.
func (db *DB) RevokeToken(id string) error {
	return db.updateToken(id, func(t *APIToken) bool {
		if t.Revoked() {
			return false
		}
		t.RevokedAt = time.Now()
		return true
	})
}

// TouchToken records that the token was used at now, at most once a minute.
func (db *DB) TouchToken(id string, now time.Time) error {
	return db.updateToken(id, func(t *APIToken) bool {
		if now.Sub(t.LastUsedAt) < time.Minute {
			return false
		}
		t.LastUsedAt = now
		return true
	})
}

func (db *DB) updateToken(id string, change func(*APIToken) bool) error {
	return db.Update(func(tx *Tx) error {
		b, err := tx.Bucket(extTokens)
		if err != nil {
			return err
		}
		var t APIToken
		found, err := getJSON(b, []byte(id), &t)
		if err != nil {
			return err
		}
		if !found {
			return ErrNoToken
		}
		if !change(&t) {
			return nil
		}
		return putJSON(b, []byte(id), t)
	})
}
