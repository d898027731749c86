// Package token mints and checks the bearer tokens that integrators and
// Fineract's message gateway use on the box's HTTP API.
//
// A token is "mfe_<id>_<secret>": the id (8 hex digits) names the record in
// the store and may appear in logs and listings; the secret (32 base32
// letters, 160 random bits) is shown once when the token is made and only
// its SHA-256 is kept. A random 160-bit secret cannot be guessed, so a fast
// hash is enough here (PINs and passwords, which people choose, use argon2id).
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Scopes a token can carry. Each API route names the one scope it needs.
const (
	ScopeSend     = "send"     // queue SMS and read their state
	ScopeRead     = "read"     // read received SMS and the box's state
	ScopePayments = "payments" // report payments from an external channel
	ScopeGateway  = "gateway"  // Fineract's message gateway (/sms, /sms/report)
)

// AllScopes lists every scope in the order listings show them.
var AllScopes = []string{ScopeSend, ScopeRead, ScopePayments, ScopeGateway}

const prefix = "mfe_"

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrMalformed means the text is not shaped like a token at all.
var ErrMalformed = errors.New("not a mifos-edge token")

// New mints a token: the text to give the integrator once, its id and the
// hash to store.
func New() (text, id string, hash []byte, err error) {
	var idb [4]byte
	var secret [20]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", "", nil, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", "", nil, err
	}
	id = hex.EncodeToString(idb[:])
	text = prefix + id + "_" + enc.EncodeToString(secret[:])
	return text, id, Hash(text), nil
}

// Parse splits a presented token into its id; the whole text is what
// Matches checks against the stored hash.
func Parse(text string) (id string, err error) {
	rest, ok := strings.CutPrefix(text, prefix)
	if !ok {
		return "", ErrMalformed
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 8 || len(secret) != 32 {
		return "", ErrMalformed
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", ErrMalformed
	}
	if _, err := enc.DecodeString(secret); err != nil {
		return "", ErrMalformed
	}
	return id, nil
}

// Hash is what the store keeps of a token.
func Hash(text string) []byte {
	h := sha256.Sum256([]byte(text))
	return h[:]
}

// Matches compares a presented token with a stored hash in constant time.
func Matches(text string, hash []byte) bool {
	return subtle.ConstantTimeCompare(Hash(text), hash) == 1
}

// ParseScopes reads a comma-separated scope list ("send,read"); an unknown
// scope is an error that lists the known ones.
func ParseScopes(list string) ([]string, error) {
	var out []string
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimSpace(strings.ToLower(s))
		if s == "" {
			continue
		}
		if !slices.Contains(AllScopes, s) {
			return nil, fmt.Errorf("unknown scope %q (known: %s)", s, strings.Join(AllScopes, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("a token needs at least one scope (known: %s)", strings.Join(AllScopes, ", "))
	}
	return out, nil
}
