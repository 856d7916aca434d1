package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const dataKeyPrefix = "v2:"

// DataKey is a company's own key for its sensitive values (envelope
// encryption): random, stored only wrapped under the master key, and named
// by a random id that every value it seals carries, as
// "v2:<key id>:<base64 of nonce, ciphertext and tag>".
//
// Each value is bound to a context string (the company and the field) as
// additional authenticated data, so a sealed phone copied into another
// company's row, or into the token column, does not open.
type DataKey struct {
	ID   string
	Key  []byte
	aead cipher.AEAD
}

// NewDataKey returns a fresh random key with a fresh random id.
func NewDataKey() (*DataKey, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return DataKeyFrom(hex.EncodeToString(id), key)
}

// DataKeyFrom rebuilds a data key from its id and its 32 bytes.
func DataKeyFrom(id string, key []byte) (*DataKey, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("data key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &DataKey{ID: id, Key: key, aead: aead}, nil
}

// Seal encrypts plaintext bound to context. The empty string stays empty.
func (k *DataKey) Seal(plaintext, context string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return dataKeyPrefix + k.ID + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed by this key with the same context.
func (k *DataKey) Open(sealed, context string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	id, body, ok := SplitSealed(sealed)
	if !ok || id != k.ID {
		return "", errors.New("value was not sealed with this data key")
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		return "", fmt.Errorf("decode sealed value: %w", err)
	}
	n := k.aead.NonceSize()
	if len(raw) < n {
		return "", errors.New("sealed value too short")
	}
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return "", errors.New("decrypt: wrong key, wrong row or damaged value")
	}
	return string(plain), nil
}

// SplitSealed returns the key id and the body of a value sealed with a
// data key, and false for any other value.
func SplitSealed(sealed string) (keyID, body string, ok bool) {
	rest, ok := strings.CutPrefix(sealed, dataKeyPrefix)
	if !ok {
		return "", "", false
	}
	keyID, body, ok = strings.Cut(rest, ":")
	if !ok || keyID == "" {
		return "", "", false
	}
	return keyID, body, true
}

// SealedWith returns the prefix every value sealed with the data key id
// starts with, for queries that look for values still under an old key.
func SealedWith(keyID string) string { return dataKeyPrefix + keyID + ":" }
