package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// authCLI runs commands against an SQLite database in a directory of its
// own; every flag is given, so the caller's STAFFBOT_* variables do not
// matter.
type authCLI struct {
	t   *testing.T
	dir string
}

func newAuthCLI(t *testing.T) *authCLI {
	t.Helper()
	c := &authCLI{t: t, dir: t.TempDir()}
	if out, errOut, code := c.run("company", "create", "--slug", "acme"); code != 0 {
		t.Fatalf("company create: %d %s %s", code, out, errOut)
	}
	return c
}

// run runs "staffbot CMD SUB ARGS…" with the test's flags put right after
// the subcommand, before any positional argument.
func (c *authCLI) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	global := []string{"--data-dir", c.dir, "--database-url", "", "--master-key", hex.EncodeToString(storetest.TestKey),
		"--log-format", "text", "--log-level", "error"}
	full := append(append(append([]string{}, args[:2]...), global...), args[2:]...)
	var out, errOut bytes.Buffer
	code = run(context.Background(), full, &out, &errOut)
	return out.String(), errOut.String(), code
}

func (c *authCLI) store() *store.Store {
	c.t.Helper()
	sealer, err := secret.NewSealer(storetest.TestKey)
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := store.Open(c.t.Context(), c.dir+"/staffbot.db", sealer)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

func TestAdmin_CreateAndReset(t *testing.T) {
	c := newAuthCLI(t)
	out, errOut, code := c.run("admin", "create", "--company", "acme", "--email", "Boss@Acme.ru", "--role", "owner")
	if code != 0 {
		t.Fatalf("admin create: %d %s", code, errOut)
	}
	initial := strings.TrimSpace(out)
	if !regexp.MustCompile(`^[a-z2-9]{5}(-[a-z2-9]{5}){3}$`).MatchString(initial) {
		t.Errorf("stdout = %q, want only the one-time password", out)
	}
	st := c.store()
	co, _ := st.FindCompanyBySlug(t.Context(), "acme")
	u, err := st.FindUserByEmail(t.Context(), co.ID, "boss@acme.ru")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != "owner" || !u.MustChangePassword || strings.Contains(u.PasswordHash, initial) {
		t.Errorf("stored user %+v", u)
	}
	if ok, _ := auth.VerifyPassword(u.PasswordHash, initial); !ok {
		t.Error("the printed password does not match the stored hash")
	}

	stdin = strings.NewReader("chosen password 1\n")
	t.Cleanup(func() { stdin = strings.NewReader("") })
	out, errOut, code = c.run("admin", "create", "--company", "acme", "--email", "hr@acme.ru", "--role", "hr_manager", "--password-stdin")
	if code != 0 || out != "" {
		t.Fatalf("admin create --password-stdin: %d, stdout %q, %s", code, out, errOut)
	}
	hr, _ := st.FindUserByEmail(t.Context(), co.ID, "hr@acme.ru")
	if ok, _ := auth.VerifyPassword(hr.PasswordHash, "chosen password 1"); !ok || hr.MustChangePassword {
		t.Errorf("password from stdin not stored, or must change = %v", hr.MustChangePassword)
	}

	if _, errOut, code := c.run("admin", "create", "--company", "acme", "--email", "boss@acme.ru", "--role", "admin"); code == 0 {
		t.Error("a second user with the same e-mail was created")
	} else if !strings.Contains(errOut, "exists") {
		t.Errorf("duplicate e-mail: %s", errOut)
	}
	if _, _, code := c.run("admin", "create", "--company", "acme", "--email", "x@acme.ru", "--role", "root"); code == 0 {
		t.Error("an unknown role was accepted")
	}

	out, _, code = c.run("admin", "list", "--company", "acme")
	if code != 0 || !strings.Contains(out, "boss@acme.ru") || !strings.Contains(out, "hr_manager") {
		t.Errorf("admin list: %d\n%s", code, out)
	}

	out, errOut, code = c.run("admin", "reset", "--company", "acme", "--email", "hr@acme.ru")
	if code != 0 {
		t.Fatalf("admin reset: %d %s", code, errOut)
	}
	hr, _ = st.FindUserByEmail(t.Context(), co.ID, "hr@acme.ru")
	if ok, _ := auth.VerifyPassword(hr.PasswordHash, strings.TrimSpace(out)); !ok || !hr.MustChangePassword {
		t.Errorf("after reset the printed password does not work or need not be changed")
	}
}

func TestToken_CreateListRevoke(t *testing.T) {
	c := newAuthCLI(t)
	out, errOut, code := c.run("token", "create", "--company", "acme", "--role", "hr_manager", "--ttl", "30d", "--name", "1С")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errOut)
	}
	token := strings.TrimSpace(out)
	if !strings.HasPrefix(token, auth.APITokenPrefix) || len(token) < 40 {
		t.Fatalf("stdout = %q, want only the token", out)
	}
	st := c.store()
	svc := auth.New(st, staffbot.SystemClock{}, auth.Options{})
	p, err := svc.AuthenticateToken(t.Context(), token, "")
	if err != nil || p.Role != auth.RoleHRManager {
		t.Fatalf("the printed token does not work: %v", err)
	}
	var raw string
	st.DB().QueryRow("SELECT token_hash FROM api_tokens").Scan(&raw)
	if raw != auth.HashToken(token) {
		t.Errorf("stored %q, want the SHA-256 of the token", raw)
	}

	out, _, code = c.run("token", "list", "--company", "acme")
	if code != 0 || !strings.Contains(out, "1С") || !strings.Contains(out, "active") || strings.Contains(out, token) {
		t.Errorf("token list: %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"token", "create", "--company", "acme", "--role", "owner"},
		{"token", "create", "--company", "acme", "--role", "analyst", "--ttl", "400d"},
		{"token", "create", "--company", "acme", "--role", "analyst", "--ttl", "soon"},
		{"token", "create", "--company", "nope", "--role", "analyst"},
	} {
		if _, _, code := c.run(bad...); code == 0 {
			t.Errorf("staffbot %s succeeded", strings.Join(bad, " "))
		}
	}

	if out, errOut, code := c.run("token", "revoke", "--company", "acme", "1"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: %d %s %s", code, out, errOut)
	}
	if _, err := svc.AuthenticateToken(t.Context(), token, ""); err == nil {
		t.Error("a revoked token still works")
	}
	if out, _, _ := c.run("token", "list", "--company", "acme"); !strings.Contains(out, "revoked") {
		t.Errorf("token list after revoke:\n%s", out)
	}
	if _, _, code := c.run("token", "revoke", "--company", "acme", "99"); code == 0 {
		t.Error("revoking an unknown token succeeded")
	}
}
