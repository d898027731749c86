// Package officer checks the PINs that come by SMS: loan officers' PINs
// for their commands and clients' PINs for BAL. It holds the PIN rules,
// the peppered argon2id hashes and the wrong-PIN lockout.
package officer

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Pepper is the secret mixed into every new PIN hash: the box key's pepper
// and the key's id. The store holds the hashes, the key file (elsewhere)
// the pepper, so a copy of the store alone cannot be searched for PINs.
type Pepper struct {
	ID  string // 8 hex digits, written into the hash
	Key []byte
}

// ErrOtherKey means a PIN hash was made with another box key: the PIN can
// no longer be checked and must be set again. It is not a wrong PIN.
var ErrOtherKey = errors.New("the PIN was set with another box key and must be set again")

// DefaultMinPINLength is the shortest new PIN: 4 digits fall to guessing
// within days even with a lockout; 6 digits take a hundred times longer.
const DefaultMinPINLength = 6

// argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane). They are
// stored in every hash, so raising them later keeps old hashes verifiable.
// CheckHash holds every new hash to at least these.
const (
	argonMemory  = 19456 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// Bounds for parameters read from a stored hash, so a damaged or hostile
// record cannot make verification allocate gigabytes or spin for minutes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
)

// LooksLikePIN reports whether a word typed in an SMS has the shape of a
// PIN: 4 to 8 ASCII digits. Whether it is strong enough is ValidatePIN's
// question, asked when a PIN is set; PINs set before a longer minimum
// still have to be accepted as typed.
func LooksLikePIN(w string) bool {
	if len(w) < 4 || len(w) > 8 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// ValidatePIN checks a new PIN: minLen (at least 4; 0 means
// DefaultMinPINLength) to 8 digits, not one digit repeated and not a run
// such as 123456 or 654321. Errors never contain the PIN.
func ValidatePIN(pin string, minLen int) error {
	if minLen <= 0 {
		minLen = DefaultMinPINLength
	}
	minLen = max(min(minLen, 8), 4)
	if len(pin) < minLen || len(pin) > 8 {
		return fmt.Errorf("the PIN must be %d to 8 digits long", minLen)
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return errors.New("the PIN must contain digits only")
		}
	}
	if strings.Count(pin, pin[:1]) == len(pin) {
		return errors.New("the PIN must not be one digit repeated (like 1111); choose a PIN that is hard to guess")
	}
	if isRun(pin, 1) || isRun(pin, -1) {
		return errors.New("the PIN must not be a run of digits (like 1234 or 4321); choose a PIN that is hard to guess")
	}
	return nil
}

// isRun reports whether each digit is the previous one plus step, wrapping
// 9 -> 0, so 7890 and 1098 count as runs too.
func isRun(pin string, step int) bool {
	for i := 1; i < len(pin); i++ {
		if (int(pin[i-1]-'0')+step+10)%10 != int(pin[i]-'0') {
			return false
		}
	}
	return true
}

// HashPIN returns the argon2id PHC string of pin with a fresh random salt:
// "$argon2id$v=19$m=19456,t=2,p=1,k=<key id>$<salt>$<hash>" (unpadded
// standard base64). The password hashed is HMAC-SHA256(pepper, pin); a zero
// Pepper (tests only) hashes the PIN itself and leaves out k=.
func HashPIN(pin string, p Pepper) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("random salt: %w", err)
	}
	key := idKey(peppered(pin, p.Key), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	params := fmt.Sprintf("m=%d,t=%d,p=%d", argonMemory, argonTime, argonThreads)
	if p.ID != "" {
		params += ",k=" + p.ID
	}
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, params,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

func peppered(pin string, pepper []byte) []byte {
	if pepper == nil {
		return []byte(pin)
	}
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(pin))
	return m.Sum(nil)
}

type phc struct {
	memory  uint32
	time    uint32
	threads uint8
	keyID   string // "" for a hash made without a pepper
	salt    []byte
	key     []byte
}

func parseHash(hash string) (phc, error) {
	bad := errors.New("the PIN hash is not an argon2id hash made by mifos-edge")
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, bad
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return phc{}, bad
	}
	var p phc
	var threads uint32
	params, keyID, peppered := strings.Cut(parts[3], ",k=")
	if peppered {
		if id, err := hex.DecodeString(keyID); err != nil || len(id) != 4 || hex.EncodeToString(id) != keyID {
			return phc{}, bad
		}
		p.keyID = keyID
	}
	if n, err := fmt.Sscanf(params, "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) != params {
		return phc{}, bad
	}
	if p.time < 1 || p.time > maxTime || threads < 1 || threads > maxThreads || p.memory < 8*threads || p.memory > maxMemory {
		return phc{}, bad
	}
	p.threads = uint8(threads)
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return phc{}, bad
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return phc{}, bad
	}
	return p, nil
}

// CheckHash checks a hash about to be stored (enrolment, PIN reset, client
// PIN): it must be a well-formed argon2id PHC string, so a damaged hash is
// refused rather than locking an officer out, and at least as costly as
// HashPIN's, so a copy of the store does not give up the PIN in seconds.
// Hashes already stored are not held to this (VerifyPIN accepts them).
// With a pepper, the hash must also be made with it: a hash made without
// the box key, or with another one, could not be checked.
func CheckHash(hash string, pepper Pepper) error {
	p, err := parseHash(hash)
	if err != nil {
		return err
	}
	// The parameters are not secret; the salt and key are never echoed.
	if p.memory < argonMemory || p.time < argonTime || p.threads < argonThreads || len(p.salt) < saltLen || len(p.key) < argonKeyLen {
		return fmt.Errorf("the PIN hash is too weak (m=%d,t=%d,p=%d, %d-byte salt, %d-byte key; at least m=%d,t=%d,p=%d, "+
			"a %d-byte salt and a %d-byte key are needed): it was not made by `mifos-edge officer add` or `mifos-edge client-pin`",
			p.memory, p.time, p.threads, len(p.salt), len(p.key), argonMemory, argonTime, argonThreads, saltLen, argonKeyLen)
	}
	if pepper.ID != "" && p.keyID != pepper.ID {
		return errors.New("the PIN hash was not made with this box's key: run the command on the box, with the same [security] key_file as the service")
	}
	return nil
}

// VerifyPIN reports whether pin matches hash, comparing in constant time;
// a malformed hash never matches. A hash made with another box key returns
// ErrOtherKey: whether the PIN is right cannot be known.
func VerifyPIN(hash, pin string, pepper Pepper) (bool, error) {
	p, err := parseHash(hash)
	if err != nil {
		return false, nil
	}
	secret := []byte(nil)
	if p.keyID != "" {
		if p.keyID != pepper.ID || pepper.Key == nil {
			return false, ErrOtherKey
		}
		secret = pepper.Key
	}
	key := idKey(peppered(pin, secret), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// NeedsRehash reports whether hash should be made again, now that the PIN
// is known to be right: it was made without the pepper (by an older
// version), so a copy of the store could still be searched for it.
func NeedsRehash(hash string, pepper Pepper) bool {
	p, err := parseHash(hash)
	return err == nil && p.keyID == "" && pepper.ID != ""
}

// MadeWithOtherKey reports whether hash was made with another box key than
// pepper's (a store restored onto another box): such a PIN cannot be
// checked here and must be set again.
func MadeWithOtherKey(hash string, pepper Pepper) bool {
	p, err := parseHash(hash)
	return err == nil && p.keyID != "" && p.keyID != pepper.ID
}
