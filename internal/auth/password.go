package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/staffbot/staffbot"
)

// Argon2Params are the argon2id cost settings. Stored hashes carry their
// own, so raising them later does not break existing passwords.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 is OWASP's second argon2id setting (19 MiB, 2 passes, 1
// lane): about 30-60 ms on a small server, and modest in memory, since
// sign-ins may come in bursts.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32

	// MinPasswordLen and MaxPasswordLen bound a chosen password, in
	// characters; the upper bound keeps hashing cheap for huge inputs.
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// HashPassword returns the argon2id PHC string of the password.
func HashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// VerifyPassword reports whether the password matches the PHC string, in
// time that does not depend on where they differ.
func VerifyPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	if len(password) > 4*MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// CheckPasswordPolicy says why a chosen password is refused: too short,
// too long, or the same as the e-mail.
func CheckPasswordPolicy(password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return fmt.Errorf("password shorter than %d characters: %w", MinPasswordLen, staffbot.ErrInvalid)
	case n > MaxPasswordLen:
		return fmt.Errorf("password longer than %d characters: %w", MaxPasswordLen, staffbot.ErrInvalid)
	case strings.EqualFold(strings.TrimSpace(password), email):
		return fmt.Errorf("password equals the e-mail: %w", staffbot.ErrInvalid)
	}
	return nil
}

// codeAlphabet has no look-alike characters (no 0/o, 1/l/i).
const codeAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// randomCode returns groups of random characters from codeAlphabet joined
// by hyphens, e.g. "k4mz-8qhd-…".
func randomCode(groups, size int) string {
	var b strings.Builder
	buf := make([]byte, groups*size)
	for i := range buf {
		buf[i] = codeAlphabet[randIntn(len(codeAlphabet))]
	}
	for g := range groups {
		if g > 0 {
			b.WriteByte('-')
		}
		b.Write(buf[g*size : (g+1)*size])
	}
	return b.String()
}

// randIntn returns a uniform random number below n from crypto/rand.
func randIntn(n int) int {
	// Rejection sampling on one byte keeps the distribution uniform.
	limit := 256 - 256%n
	var b [1]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// GeneratePassword returns an initial password of 20 random characters
// (about 99 bits) in hyphenated groups.
func GeneratePassword() string { return randomCode(4, 5) }
