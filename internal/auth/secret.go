package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/staffbot/staffbot/internal/store"
)

// APITokenPrefix starts every API token, so that a leaked one is easy to
// recognise in a scan.
const APITokenPrefix = "sbt_"

// newToken returns 32 random bytes in base64url: a session or API token.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 under which a session or API token is
// stored. The tokens are 256-bit random values, so a plain hash is enough.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CSRFToken returns the anti-forgery value for forms of the session with
// the token. It is derived from the session token, which only the browser
// holds, so a page of another site can neither read nor compute it.
func CSRFToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("staffbot csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether got is the anti-forgery value of the session.
func CheckCSRF(sessionToken, got string) bool {
	if sessionToken == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(CSRFToken(sessionToken)), []byte(got)) == 1
}

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// newRecoveryCodes returns fresh recovery codes: 16 characters of
// codeAlphabet each (about 79 bits) in groups of four.
func newRecoveryCodes() []string {
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = randomCode(4, 4)
	}
	return codes
}

// normalizeRecoveryCode drops spaces and hyphens and lower-cases, so that
// "ABCD EFGH…" and "abcd-efgh-…" match.
func normalizeRecoveryCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if r == '-' || r == ' ' || r == '\t' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hashRecoveryCode returns the stored form of a recovery code: SHA-256 of
// the user id and the normalised code, so equal codes of two users differ.
func hashRecoveryCode(userID store.UserID, code string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("staffbot recovery v1:%d:%s", userID, normalizeRecoveryCode(code))))
	return hex.EncodeToString(sum[:])
}
