package secret_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/secret"
)

var otherKey = []byte("fedcba9876543210fedcba9876543210")

func mustDataKey(t *testing.T) *secret.DataKey {
	t.Helper()
	k, err := secret.NewDataKey()
	if err != nil {
		t.Fatalf("NewDataKey: %v", err)
	}
	return k
}

func TestDataKey_RoundTripAndContext(t *testing.T) {
	k := mustDataKey(t)
	sealed, err := k.Seal("+79123456789", "7/phone")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, secret.SealedWith(k.ID)) || strings.Contains(sealed, "9123456789") {
		t.Errorf("sealed = %q, want the prefix %q and no plaintext", sealed, secret.SealedWith(k.ID))
	}
	if got, err := k.Open(sealed, "7/phone"); err != nil || got != "+79123456789" {
		t.Errorf("Open = %q, %v; want the phone", got, err)
	}
	// Another company, or another column, does not open it.
	for _, ctx := range []string{"8/phone", "7/email", ""} {
		if got, err := k.Open(sealed, ctx); err == nil {
			t.Errorf("Open with context %q = %q, want an error", ctx, got)
		}
	}
	// Another key with the same id (a forged id) does not open it either.
	forged, err := secret.DataKeyFrom(k.ID, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := forged.Open(sealed, "7/phone"); err == nil {
		t.Errorf("Open with another key = %q, want an error", got)
	}
	if got, _ := k.Seal("", "7/phone"); got != "" {
		t.Errorf("Seal(\"\") = %q, want \"\"", got)
	}
}

func TestSealer_PreviousKeysOpenOldValues(t *testing.T) {
	old := mustSealer(t, testKey)
	sealed := mustSeal(t, old, "7000001:AAtest-token")

	rotated, err := secret.NewSealer(otherKey, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealed); err != nil || got != "7000001:AAtest-token" {
		t.Errorf("Open of a value under the previous key = %q, %v", got, err)
	}
	if _, ok := rotated.ForKeyID(secret.KeyID(testKey)); !ok {
		t.Error("ForKeyID does not find the previous key")
	}
	if rotated.KeyID() != secret.KeyID(otherKey) || rotated.KeyID() == old.KeyID() {
		t.Errorf("KeyID = %s, want the new key's %s", rotated.KeyID(), secret.KeyID(otherKey))
	}
	// New values are sealed with the current key only.
	fresh := mustSeal(t, rotated, "x")
	if _, err := old.Open(fresh); err == nil {
		t.Error("a value sealed after rotation opens with the old key")
	}

	// A wrapped key opens only with the master key that wrapped it.
	wrapped, err := old.Wrap(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Unwrap(wrapped); err == nil {
		t.Error("Unwrap with the new master key opened a key wrapped by the old one")
	}
	prev, _ := rotated.ForKeyID(old.KeyID())
	if k, err := prev.Unwrap(wrapped); err != nil || !bytes.Equal(k, bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("Unwrap with the old key = %x, %v", k, err)
	}
}

func TestLoadKeys_SeveralKeys(t *testing.T) {
	dir := t.TempDir()
	content := "6665646362613938373635343332313066656463626139383736353433323130\n" +
		"3031323334353637383961626364656630313233343536373839616263646566\n"
	if err := os.WriteFile(filepath.Join(dir, secret.KeyFileName), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := secret.LoadSealer("", dir)
	if err != nil {
		t.Fatalf("LoadSealer: %v", err)
	}
	if s.KeyID() != secret.KeyID(otherKey) || len(s.Previous()) != 1 {
		t.Errorf("current %s with %d previous, want %s with 1", s.KeyID(), len(s.Previous()), secret.KeyID(otherKey))
	}
	if _, err := secret.LoadKeys("0011,zz", dir); err == nil || !strings.Contains(err.Error(), "STAFFBOT_MASTER_KEY") {
		t.Errorf("bad list: err = %v, want one naming STAFFBOT_MASTER_KEY", err)
	}
}

func TestStream_RoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	for _, size := range []int{0, 1, secret.ChunkSize - 1, secret.ChunkSize, 3*secret.ChunkSize + 17} {
		plain := make([]byte, size)
		rand.Read(plain)
		sealed := mustStream(t, key, []byte("hdr"), plain)
		got, err := openStream(key, []byte("hdr"), sealed)
		if err != nil {
			t.Errorf("size %d: %v", size, err)
			continue
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("size %d: plaintext differs", size)
		}
		if size > 16 && bytes.Contains(sealed, plain[:16]) {
			t.Errorf("size %d: plaintext visible in the stream", size)
		}
	}
}

func TestStream_DamageDetected(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	plain := bytes.Repeat([]byte("row\n"), secret.ChunkSize) // four chunks
	sealed := mustStream(t, key, []byte("hdr"), plain)
	chunk := 5 + secret.ChunkSize + 16

	cases := map[string][]byte{
		"truncated at a chunk boundary": sealed[:2*chunk],
		"truncated mid chunk":           sealed[:2*chunk+100],
		"last chunk dropped":            sealed[:4*chunk],
		"chunks swapped":                append(append(append([]byte{}, sealed[chunk:2*chunk]...), sealed[:chunk]...), sealed[2*chunk:]...),
		"byte flipped":                  flip(sealed, chunk+50),
		"trailing garbage":              append(append([]byte{}, sealed...), 0),
	}
	for name, b := range cases {
		if _, err := openStream(key, []byte("hdr"), b); !errors.Is(err, secret.ErrStreamDamaged) {
			t.Errorf("%s: err = %v, want ErrStreamDamaged", name, err)
		}
	}
	if _, err := openStream(key, []byte("other header"), sealed); !errors.Is(err, secret.ErrStreamDamaged) {
		t.Errorf("other header: err = %v, want ErrStreamDamaged", err)
	}
	if _, err := openStream(bytes.Repeat([]byte{2}, 32), []byte("hdr"), sealed); !errors.Is(err, secret.ErrStreamDamaged) {
		t.Errorf("other key: err = %v, want ErrStreamDamaged", err)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func mustStream(t *testing.T, key, aad, plain []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := secret.NewStreamWriter(&out, key, aad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func openStream(key, aad, sealed []byte) ([]byte, error) {
	r, err := secret.NewStreamReader(bytes.NewReader(sealed), key, aad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
