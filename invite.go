package staffbot

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// DefaultInviteTTL is how long an invite stays valid unless told otherwise.
const DefaultInviteTTL = 14 * 24 * time.Hour

// Invite is a personal, single-use registration code for one employee. Only
// the hash of the code is stored; the code itself is shown once, in the links
// printed by "staffbot invite".
type Invite struct {
	ID         int64
	CompanyID  CompanyID
	EmployeeID EmployeeID
	CodeHash   string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     *time.Time
}

// NewInviteCode returns a fresh random code of 96 bits, written with the
// characters a Telegram deep link allows (A-Z, a-z, 0-9, _ and -).
func NewInviteCode() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashInviteCode returns the form of a code that is stored and looked up.
func HashInviteCode(code string) string {
	sum := sha256.Sum256([]byte("staffbot-invite:" + code))
	return hex.EncodeToString(sum[:])
}

// ValidInviteCodeShape reports whether s could be a code at all, so that
// obvious junk is refused before touching the database.
func ValidInviteCodeShape(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}
