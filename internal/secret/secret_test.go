package secret_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/secret"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func mustSealer(t *testing.T, key []byte) *secret.Sealer {
	t.Helper()
	s, err := secret.NewSealer(key)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func mustSeal(t *testing.T, s *secret.Sealer, plain string) string {
	t.Helper()
	sealed, err := s.Seal(plain)
	if err != nil {
		t.Fatalf("Seal(%q): %v", plain, err)
	}
	return sealed
}

func TestSealer_RoundTrip(t *testing.T) {
	s := mustSealer(t, testKey)
	for _, plain := range []string{
		"",
		"7000001:AAtest-token",
		"+79123456789",
		"Иванова Анна Петровна 📄",
		strings.Repeat("x", 10_000),
	} {
		sealed := mustSeal(t, s, plain)
		if plain != "" && strings.Contains(sealed, plain) {
			t.Errorf("sealed %q shows the plaintext", sealed)
		}
		got, err := s.Open(sealed)
		if err != nil {
			t.Errorf("Open(Seal(%.20q)): %v", plain, err)
			continue
		}
		if got != plain {
			t.Errorf("Open(Seal(%.20q)) = %.20q", plain, got)
		}
	}
}

func TestSealer_EmptyStaysEmpty(t *testing.T) {
	s := mustSealer(t, testKey)
	if got := mustSeal(t, s, ""); got != "" {
		t.Errorf("Seal(\"\") = %q, want \"\"", got)
	}
}

func TestSealer_FreshNonceEveryTime(t *testing.T) {
	s := mustSealer(t, testKey)
	a, b := mustSeal(t, s, "secret"), mustSeal(t, s, "secret")
	if a == b {
		t.Errorf("two seals of the same value are equal (%q): the nonce is reused", a)
	}
}

func TestSealer_WrongKeyFails(t *testing.T) {
	sealed := mustSeal(t, mustSealer(t, testKey), "7000001:AAtest-token")
	other := mustSealer(t, []byte("fedcba9876543210fedcba9876543210"))
	got, err := other.Open(sealed)
	if err == nil {
		t.Fatalf("Open with another key = %q, want an error", got)
	}
	if strings.Contains(err.Error(), "7000001") {
		t.Errorf("error %q leaks the plaintext", err)
	}
}

func TestSealer_TamperFails(t *testing.T) {
	s := mustSealer(t, testKey)
	sealed := mustSeal(t, s, "+79123456789")
	body := strings.TrimPrefix(sealed, "v1:")
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		t.Fatalf("sealed value %q is not v1:base64: %v", sealed, err)
	}

	tampered := map[string]string{
		"no prefix":    body,
		"other prefix": "v2:" + body,
		"not base64":   "v1:" + body + "!",
		"truncated":    "v1:" + base64.RawStdEncoding.EncodeToString(raw[:len(raw)-1]),
		"too short":    "v1:" + base64.RawStdEncoding.EncodeToString(raw[:4]),
	}
	// Flip one bit in the nonce, the ciphertext and the tag.
	for name, i := range map[string]int{"nonce": 0, "ciphertext": 12, "tag": len(raw) - 1} {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		tampered["flipped "+name] = "v1:" + base64.RawStdEncoding.EncodeToString(b)
	}
	for name, v := range tampered {
		if got, err := s.Open(v); err == nil {
			t.Errorf("%s: Open = %q, want an error", name, got)
		}
	}
}

func TestNewSealer_KeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := secret.NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer with a %d-byte key: no error", n)
		}
	}
}

func TestLoadOrCreateKey_CreatesFileOnceWithMode0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not there yet
	key, err := secret.LoadOrCreateKey("", dir)
	if err != nil {
		t.Fatalf("LoadOrCreateKey: %v", err)
	}
	if len(key) != 32 {
		t.Fatalf("key has %d bytes, want 32", len(key))
	}

	path := filepath.Join(dir, secret.KeyFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %o, want 600", mode)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm()&0o077 != 0 {
		t.Errorf("data dir = %v, %v; want it created and closed to group and others", di.Mode(), err)
	}

	again, err := secret.LoadOrCreateKey("", dir)
	if err != nil {
		t.Fatalf("second LoadOrCreateKey: %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Error("second start made a new key instead of reusing the file")
	}

	// A value sealed before a restart opens after it.
	sealed := mustSeal(t, mustSealer(t, key), "7000001:AAtest-token")
	if got, err := mustSealer(t, again).Open(sealed); err != nil || got != "7000001:AAtest-token" {
		t.Errorf("Open after restart = %q, %v", got, err)
	}
}

func TestLoadOrCreateKey_FromEnv(t *testing.T) {
	want := []byte("0123456789abcdef0123456789abcdef")
	for name, env := range map[string]string{
		"hex":        hex.EncodeToString(want),
		"hex padded": "  " + hex.EncodeToString(want) + "\n",
		"base64":     base64.StdEncoding.EncodeToString(want),
		"base64 raw": base64.RawURLEncoding.EncodeToString(want),
	} {
		dir := t.TempDir()
		got, err := secret.LoadOrCreateKey(env, dir)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: key = %x, want %x", name, got, want)
		}
		if _, err := os.Stat(filepath.Join(dir, secret.KeyFileName)); !os.IsNotExist(err) {
			t.Errorf("%s: a key file was written although the key came from the environment (%v)", name, err)
		}
	}
}

func TestLoadOrCreateKey_BadEnvRejected(t *testing.T) {
	for name, env := range map[string]string{
		"short hex":  hex.EncodeToString(make([]byte, 31)),
		"long hex":   hex.EncodeToString(make([]byte, 33)),
		"not a key":  "correct horse battery staple",
		"16 base64":  base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"hex typo":   strings.Repeat("ab", 31) + "zz",
		"whitespace": "   ",
	} {
		dir := t.TempDir()
		_, err := secret.LoadOrCreateKey(env, dir)
		if err == nil {
			t.Errorf("%s (%q): no error", name, env)
			continue
		}
		if !strings.Contains(err.Error(), "STAFFBOT_MASTER_KEY") {
			t.Errorf("%s: error %q does not name STAFFBOT_MASTER_KEY", name, err)
		}
		if strings.TrimSpace(env) != "" && strings.Contains(err.Error(), env) {
			t.Errorf("%s: error %q repeats the key", name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, secret.KeyFileName)); !os.IsNotExist(err) {
			t.Errorf("%s: a key file was written for a bad environment key", name)
		}
	}
}

func TestLoadOrCreateKey_DamagedFileRejected(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, secret.KeyFileName)
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secret.LoadOrCreateKey("", dir); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want an error naming %s", err, path)
	}
	// The damaged file is left for the operator, not replaced by a new key
	// that would make every sealed value unreadable.
	if b, _ := os.ReadFile(path); string(b) != "not a key\n" {
		t.Errorf("key file was rewritten to %q", b)
	}
}
