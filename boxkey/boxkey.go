// Package boxkey is the box's secret key: 32 random bytes in a file kept
// outside the store (by default beside the configuration file, readable
// only by root and the service). It keys the SMS dedupe fingerprints and
// peppers PIN hashes, so the store file alone, or a backup of it, yields
// neither the PINs inside past officer SMS nor PIN hashes that can be
// guessed offline. See docs/security.md.
package boxkey

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// size is the key length in bytes.
const size = 32

// Key is a loaded box key. Its sub-keys are derived by purpose, so a
// fingerprint never reveals anything about the pepper and the other way.
type Key struct {
	fingerprint []byte
	pepper      []byte
	id          string
}

// FromBytes derives a Key from raw key material (at least 32 bytes).
func FromBytes(raw []byte) (*Key, error) {
	if len(raw) < size {
		return nil, fmt.Errorf("a box key needs %d bytes, got %d", size, len(raw))
	}
	k := &Key{
		fingerprint: derive(raw, "mifos-edge sms fingerprint v2"),
		pepper:      derive(raw, "mifos-edge pin pepper v1"),
	}
	k.id = hex.EncodeToString(derive(raw, "mifos-edge key id")[:4])
	return k, nil
}

func derive(raw []byte, purpose string) []byte {
	m := hmac.New(sha256.New, raw)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// FingerprintKey keys the dedupe fingerprints of received SMS.
func (k *Key) FingerprintKey() []byte { return k.fingerprint }

// Pepper is mixed into every PIN before it is hashed.
func (k *Key) Pepper() []byte { return k.pepper }

// ID names the key (8 hex digits) without revealing it; PIN hashes carry
// it, so a hash made with another key is recognised instead of failing as
// a wrong PIN.
func (k *Key) ID() string { return k.id }

// ErrNoKey means the key file does not exist.
var ErrNoKey = errors.New("the box key file does not exist")

// Load reads the key file: 64 hex digits on one line.
func Load(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, path)
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("the box key file %s cannot be read by this user (it should be owned by root, group mifos-edge, mode 0640)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the box key file: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(raw) != size {
		return nil, fmt.Errorf("the box key file %s is damaged: it must hold %d hex digits", path, 2*size)
	}
	return FromBytes(raw)
}

// Create writes a new random key to path, which must not exist yet (an
// existing key is never overwritten: PIN hashes made with it would stop
// verifying). The file is created 0640.
func Create(path string) (*Key, error) {
	raw := make([]byte, size)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("random key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("the box key file %s already exists; it is never replaced", path)
		}
		return nil, fmt.Errorf("create the box key file: %w", err)
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(raw)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write the box key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write the box key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write the box key file: %w", err)
	}
	return FromBytes(raw)
}

// LoadOrCreate loads the key at path, creating it first when it does not
// exist. created says whether it did.
func LoadOrCreate(path string) (k *Key, created bool, err error) {
	k, err = Load(path)
	if !errors.Is(err, ErrNoKey) {
		return k, false, err
	}
	k, err = Create(path)
	if err != nil {
		return nil, false, fmt.Errorf("%w (the box key file %s does not exist and cannot be created here; create it as root with 'mifos-edge keygen --config FILE')", err, path)
	}
	return k, true, nil
}
