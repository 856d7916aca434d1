package auth

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP settings: the RFC 6238 defaults every authenticator app supports.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
)

var totpOpts = hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// Enrolment is what a user needs to add staffbot to an authenticator app.
type Enrolment struct {
	// Secret is the base32 secret for typing in by hand.
	Secret string
	// URL is the otpauth:// URL the QR code holds.
	URL string
	// QRCode is a PNG picture of URL.
	QRCode []byte
}

// newTOTPSecret makes a fresh random secret in base32.
func newTOTPSecret() (string, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "staffbot", AccountName: "new", SecretSize: 20})
	if err != nil {
		return "", err
	}
	return key.Secret(), nil
}

// enrolment describes a stored secret for the enrolment page.
func enrolment(issuer, account, secret string) (*Enrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("decode totp secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      totpPeriod,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
		Secret:      raw,
	})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("draw qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL(), QRCode: buf.Bytes()}, nil
}

// totpStep returns the RFC 6238 time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// matchTOTP checks a six-digit code against the secret at now, allowing
// one step of clock drift either way, and returns the step it matched.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if secret == "" || !isTOTPCode(code) {
		return 0, false
	}
	step := totpStep(now)
	for _, s := range []int64{step, step - 1, step + 1} {
		ok, err := hotp.ValidateCustom(code, uint64(s), secret, totpOpts)
		if err == nil && ok {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode returns the code of the secret at t, as an authenticator app
// would show it. Tests and the enrolment self-check use it.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

func isTOTPCode(code string) bool {
	if len(code) != int(totpDigits) {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
