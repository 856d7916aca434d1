// Package secret holds staffbot's cryptography: the master key and values
// sealed with it directly ("v1:"), the per-company data keys that seal
// sensitive columns ("v2:", see DataKey), and the chunked stream encryption
// of backups and files.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the file in the data directory that holds the master key
// when STAFFBOT_MASTER_KEY is not set.
const KeyFileName = "master.key"

const sealedPrefix = "v1:"

// Sealer encrypts and decrypts short values under the master key. It may
// also hold previous master keys, during a master key rotation: it seals
// with the current key only, and opens with whichever key sealed a value.
type Sealer struct {
	aead cipher.AEAD
	key  []byte
	id   string

	previous []*Sealer
}

// NewSealer returns a sealer for a 32-byte master key, able to open values
// sealed with any of the previous keys as well.
func NewSealer(key []byte, previous ...[]byte) (*Sealer, error) {
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	for _, k := range previous {
		p, err := newSealer(k)
		if err != nil {
			return nil, fmt.Errorf("previous %w", err)
		}
		if p.id != s.id {
			s.previous = append(s.previous, p)
		}
	}
	return s, nil
}

func newSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, key: key, id: KeyID(key)}, nil
}

// KeyID returns a short public name for a key: 16 hex digits of a keyed
// hash, which tells keys apart without revealing anything about them.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("staffbot key id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// KeyID returns the name of the current master key.
func (s *Sealer) KeyID() string { return s.id }

// ForKeyID returns the sealer of the current or a previous master key by
// its name.
func (s *Sealer) ForKeyID(id string) (*Sealer, bool) {
	if s.id == id {
		return s, true
	}
	for _, p := range s.previous {
		if p.id == id {
			return p, true
		}
	}
	return nil, false
}

// Previous returns the sealers of the previous master keys.
func (s *Sealer) Previous() []*Sealer { return s.previous }

// DeriveKey derives a 32-byte key for one purpose from the master key with
// HKDF-SHA256; salt makes each derived key unique, as for each backup file.
func (s *Sealer) DeriveKey(purpose string, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, s.key, salt, "staffbot "+purpose, 32)
}

// Wrap seals a data key under the master key.
func (s *Sealer) Wrap(key []byte) (string, error) {
	return s.Seal(base64.RawStdEncoding.EncodeToString(key))
}

// Unwrap opens a data key sealed by Wrap with this very master key (not a
// previous one, since wrapped keys name their master key).
func (s *Sealer) Unwrap(wrapped string) ([]byte, error) {
	b64, err := s.openOwn(wrapped)
	if err != nil {
		return nil, err
	}
	key, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(key) != 32 {
		return nil, errors.New("damaged data key")
	}
	return key, nil
}

// ParseKey reads a master key written as 64 hex digits or as base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("master key must be 32 bytes written as 64 hex digits or base64")
}

// ParseKeys reads one or more master keys separated by commas, spaces or
// new lines: the current key first, then previous ones still needed to
// open older values while a master key rotation finishes.
func ParseKeys(s string) ([][]byte, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
	if len(fields) == 0 {
		return nil, errors.New("master key must be 32 bytes written as 64 hex digits or base64")
	}
	keys := make([][]byte, 0, len(fields))
	for i, f := range fields {
		k, err := ParseKey(f)
		if err != nil {
			if i > 0 {
				return nil, fmt.Errorf("key %d: %w", i+1, err)
			}
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// LoadSealer returns a sealer for the keys LoadKeys finds.
func LoadSealer(env, dataDir string) (*Sealer, error) {
	keys, err := LoadKeys(env, dataDir)
	if err != nil {
		return nil, err
	}
	return NewSealer(keys[0], keys[1:]...)
}

// LoadOrCreateKey returns the key given in env when it is not empty, and
// otherwise the key in dataDir/master.key, creating that file with mode 0600
// on first start. When several keys are given it returns the first, the
// current one.
func LoadOrCreateKey(env, dataDir string) ([]byte, error) {
	keys, err := LoadKeys(env, dataDir)
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

// LoadKeys returns the master keys given in env when it is not empty, and
// otherwise those in dataDir/master.key (one a line), creating that file
// with a fresh key and mode 0600 on first start. The first key is the
// current one.
func LoadKeys(env, dataDir string) ([][]byte, error) {
	if env != "" {
		keys, err := ParseKeys(env)
		if err != nil {
			return nil, fmt.Errorf("STAFFBOT_MASTER_KEY: %w", err)
		}
		return keys, nil
	}

	path := filepath.Join(dataDir, KeyFileName)
	b, err := os.ReadFile(path)
	if err == nil {
		keys, err := ParseKeys(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return keys, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read master key: %w", err)
	}

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, fmt.Errorf("write master key file: %w", err)
	}
	return [][]byte{key}, f.Sync()
}

// Seal encrypts plaintext. The empty string stays empty, so an unset
// setting needs no decryption.
func (s *Sealer) Seal(plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the current or a previous master
// key.
func (s *Sealer) Open(sealed string) (string, error) {
	plain, err := s.openOwn(sealed)
	if err == nil || len(s.previous) == 0 {
		return plain, err
	}
	for _, p := range s.previous {
		if plain, perr := p.openOwn(sealed); perr == nil {
			return plain, nil
		}
	}
	return "", err
}

// IsSealedByMaster reports whether a stored value was sealed directly with
// a master key ("v1:"), as values were before data keys.
func IsSealedByMaster(sealed string) bool { return strings.HasPrefix(sealed, sealedPrefix) }

func (s *Sealer) openOwn(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", errors.New("unknown sealed value format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return "", fmt.Errorf("decode sealed value: %w", err)
	}
	n := s.aead.NonceSize()
	if len(raw) < n {
		return "", errors.New("sealed value too short")
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", fmt.Errorf("decrypt: wrong master key or damaged value")
	}
	return string(plain), nil
}
