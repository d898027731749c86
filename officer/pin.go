// Package officer authenticates loan officers who send commands by SMS:
// PIN rules, argon2id PIN hashes and the wrong-PIN lockout.
package officer

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

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

// ValidatePIN checks a new PIN: 4 to 8 digits, not one digit repeated and
// not a run such as 1234 or 4321. Errors never contain the PIN.
func ValidatePIN(pin string) error {
	if len(pin) < 4 || len(pin) > 8 {
		return errors.New("the PIN must be 4 to 8 digits long")
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
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (unpadded standard base64).
func HashPIN(pin string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pin), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

type phc struct {
	memory  uint32
	time    uint32
	threads uint8
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
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) != parts[3] {
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
func CheckHash(hash string) error {
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
	return nil
}

// VerifyPIN reports whether pin matches hash, comparing in constant time;
// a malformed hash never matches.
func VerifyPIN(hash, pin string) bool {
	p, err := parseHash(hash)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(pin), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}
