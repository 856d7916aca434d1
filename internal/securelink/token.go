package securelink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// tokenBytes is the randomness in a link token: 192 bits, written as 32
// URL-safe base64 characters.
const tokenBytes = 24

var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

const codeDigits = 6

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b
}

// newToken returns a fresh link token and its hash, the only form stored.
func newToken() (token, hash string) {
	token = base64.RawURLEncoding.EncodeToString(randomBytes(tokenBytes))
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validTokenShape accepts only strings newToken could have made, so junk
// never reaches the database.
func validTokenShape(token string) bool {
	if len(token) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// newCode returns a random one-time code of six digits.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// hashCode keys the code's hash with the link's file key, which is sealed
// under the master key: a copy of the database alone cannot try the
// million codes against it.
func hashCode(fileKey []byte, linkID int64, code string) string {
	m := hmac.New(sha256.New, fileKey)
	m.Write([]byte("staffbot securelink code\x00" + strconv.FormatInt(linkID, 10) + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// codeMatches compares a typed code with the stored hash in constant time.
func codeMatches(fileKey []byte, linkID int64, typed, stored string) bool {
	if stored == "" {
		return false
	}
	return hmac.Equal([]byte(hashCode(fileKey, linkID, typed)), []byte(stored))
}

// codeFromInput keeps the digits of what was typed: "123 456" and
// "123-456" are the code 123456.
func codeFromInput(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		}
	}
	if b.Len() != codeDigits {
		return ""
	}
	return b.String()
}
