package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/backup"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestBackup_CreateVerifyRestore: a backup made by the command verifies,
// restores into an empty database with every row back, is refused by a
// database that has data unless forced, and old backups beside it are
// deleted.
func TestBackup_CreateVerifyRestore(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			dbURL := ""
			if op.Name != "SQLite" {
				dbURL = op.DSN(t)
			}
			src := newCLI(t, dbURL)
			src.mustRun("company", "create", "--slug", "acme", "--telegram-token", testBotToken)
			src.mustRun("import", "employees", "--company", "acme", employees1C)
			src.mustRun("invite", "--company", "acme")

			dir := t.TempDir()
			old := filepath.Join(dir, "old.backup")
			if _, err := backup.CreateFile(t.Context(), src.store(), old, time.Now().AddDate(0, 0, -61)); err != nil {
				t.Fatal(err)
			}
			r := src.mustRun("backup", "create", dir)
			if !strings.Contains(r.stdout, "backup written to") || !strings.Contains(r.stdout, "deleted old backup "+old) {
				t.Errorf("backup create: %s", r)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "staffbot-*.backup"))
			if len(files) != 1 {
				t.Fatalf("backups in %s: %v", dir, files)
			}
			file := files[0]
			want, err := backup.Checksums(t.Context(), src.store())
			if err != nil {
				t.Fatal(err)
			}

			r = src.mustRun("backup", "verify", file)
			if !strings.Contains(r.stdout, "every count and checksum matches") || !strings.Contains(r.stdout, "audit chains intact") {
				t.Errorf("backup verify: %s", r)
			}

			dstURL := ""
			if op.Name != "SQLite" {
				dstURL = op.DSN(t)
			}
			dst := newCLI(t, dstURL)
			// The backup opens only under the master key it was made with.
			key, err := os.ReadFile(filepath.Join(src.dataDir, "master.key"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dst.dataDir, "master.key"), key, 0o600)
			// A new installation is made first; restore refuses a data
			// directory that holds no database.
			dst.mustRun("migrate")
			dst.mustRun("backup", "restore", file)
			got, err := backup.Checksums(t.Context(), dst.store())
			if err != nil {
				t.Fatal(err)
			}
			for table, sum := range want {
				if table == "audit_log" || table == "audit_chains" || table == "company_keys" {
					// Both sides have since recorded the backup and the
					// restore in the installation's chain, with a key each.
					continue
				}
				if got[table] != sum {
					t.Errorf("table %s: restored %+v, want %+v", table, got[table], sum)
				}
			}
			if len(dst.employees("acme")) != len(src.employees("acme")) {
				t.Errorf("restored %d employees, want %d", len(dst.employees("acme")), len(src.employees("acme")))
			}
			dst.mustRun("audit", "verify")

			if r := dst.run("backup", "restore", file); r.code != 1 || !strings.Contains(r.stderr, "not empty") {
				t.Errorf("restore over data: %s; want refused", r)
			}
			dst.mustRun("backup", "restore", "--force", file)

			// Another master key cannot open it.
			t.Setenv("STAFFBOT_MASTER_KEY", hex.EncodeToString([]byte("fedcba9876543210fedcba9876543210")))
			if r := dst.run("backup", "verify", "--scratch", "sqlite", file); r.code != 1 || !strings.Contains(r.stderr, "master key") {
				t.Errorf("verify under another key: %s", r)
			}
		})
	}
}

// TestEmployee_ExportAndErase: the export holds the person's data with
// contacts opened; erasing needs --yes and leaves an audit log that still
// verifies.
// TestBackup_CreatePaths: a directory, or a path ending in /, gets a
// timestamped backup inside it; a directory that does not exist is an
// error that leaves nothing behind.
func TestBackup_CreatePaths(t *testing.T) {
	c := newCLI(t, "")
	c.mustRun("company", "create", "--slug", "acme")
	root := t.TempDir()

	// An existing directory, named with or without the slash.
	for _, dir := range []string{root, t.TempDir()} {
		arg := dir
		if dir != root {
			arg += "/"
		}
		r := c.mustRun("backup", "create", "--keep-days", "0", arg)
		files, _ := filepath.Glob(filepath.Join(dir, "staffbot-*.backup"))
		if len(files) != 1 || !strings.Contains(r.stdout, "backup written to "+filepath.Join(dir, "staffbot-")) {
			t.Fatalf("backup create %s: %s; backups %v", arg, r, files)
		}
	}
	// A file path in an existing directory is written as named.
	named := filepath.Join(root, "named.backup")
	c.mustRun("backup", "create", named)
	if _, err := os.Stat(named); err != nil {
		t.Errorf("named backup: %v", err)
	}

	for _, tc := range []struct{ arg, want string }{
		{filepath.Join(root, "nope") + "/", "directory " + filepath.Join(root, "nope") + "/ does not exist"},
		{filepath.Join(root, "nope", "b.backup"), "directory " + filepath.Join(root, "nope") + " does not exist"},
		{filepath.Join(root, "a", "b", "c.backup"), "directory " + filepath.Join(root, "a", "b") + " does not exist"},
		{named + "/", named + "/ is not a directory"},
		{named, named + " exists"},
	} {
		r := c.run("backup", "create", tc.arg)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("backup create %s = %s, want exit 1 with %q", tc.arg, r, tc.want)
		}
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a refused backup left %s behind", e.Name())
		}
	}
	if len(entries) != 2 { // the timestamped backup and named.backup
		t.Errorf("%d entries in the backup directory, want 2", len(entries))
	}
}

func TestEmployee_ExportAndErase(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		c.mustRun("import", "employees", "--company", "acme", employees1C)
		e := c.employee("acme", "00002")

		r := c.mustRun("employee", "export", "--company", "acme", "--employee", "00002")
		var exp struct {
			Employee map[string]any   `json:"employee"`
			Audit    []map[string]any `json:"audit"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &exp); err != nil {
			t.Fatalf("export is not JSON: %v\n%s", err, r.stdout)
		}
		if exp.Employee["full_name"] != e.FullName || exp.Employee["phone"] != e.Phone || len(exp.Audit) == 0 {
			t.Errorf("export = %v with %d audit records", exp.Employee, len(exp.Audit))
		}

		if r := c.run("employee", "erase", "--company", "acme", "--employee", "00002"); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
			t.Errorf("erase without --yes: %s", r)
		}
		r = c.mustRun("employee", "erase", "--company", "acme", "--employee", "00002", "--yes")
		if !strings.Contains(r.stdout, "erased") {
			t.Errorf("erase: %s", r)
		}
		if r := c.run("employee", "export", "--company", "acme", "--employee", "00002"); r.code != 1 {
			t.Errorf("export after erasure: %s; want not found", r)
		}
		c.mustRun("audit", "verify", "--company", "acme")
		r = c.mustRun("audit", "export", "--company", "acme")
		if strings.Contains(r.stdout, e.FullName) {
			t.Error("the audit log still names the erased employee")
		}
		c.mustRun("employee", "anonymize", "--company", "acme", "--employee", "00003", "--yes")
	})
}

// TestKeys_RotateCompanyAndMaster: data keys rotate online; a master key
// rotation keeps both keys working until pruned, then only the new one.
func TestKeys_RotateCompanyAndMaster(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		oldKey := hex.EncodeToString(storetest.TestKey)
		t.Setenv("STAFFBOT_MASTER_KEY", oldKey)
		c.mustRun("company", "create", "--slug", "acme", "--telegram-token", testBotToken)
		c.mustRun("import", "employees", "--company", "acme", employees1C)

		r := c.mustRun("keys", "rotate", "--company", "acme", "--batch", "7")
		if !strings.Contains(r.stdout, "acme: data key version 2") {
			t.Errorf("keys rotate: %s", r)
		}
		r = c.mustRun("keys", "status")
		if !strings.Contains(r.stdout, "retired") || !strings.Contains(r.stdout, "audit") {
			t.Errorf("keys status: %s", r)
		}

		newKey := strings.TrimSpace(c.mustRun("keys", "generate").stdout)
		keyFile := filepath.Join(t.TempDir(), "new.key")
		os.WriteFile(keyFile, []byte(newKey+"\n"), 0o600)
		r = c.mustRun("keys", "rotate", "--master", "--new-master-key-file", keyFile)
		if !strings.Contains(r.stdout, "wrapped under the new master key") {
			t.Errorf("rotate --master: %s", r)
		}
		c.mustRun("company", "list") // still the old key only

		t.Setenv("STAFFBOT_MASTER_KEY", newKey+","+oldKey)
		c.mustRun("company", "list")
		c.mustRun("keys", "prune")

		t.Setenv("STAFFBOT_MASTER_KEY", newKey)
		r = c.mustRun("company", "list")
		if !strings.Contains(r.stdout, "acme") {
			t.Errorf("company list under the new key: %s", r)
		}
		c.mustRun("employee", "export", "--company", "acme", "--employee", "00001")
		c.mustRun("audit", "verify")
		t.Setenv("STAFFBOT_MASTER_KEY", oldKey)
		if r := c.run("company", "list"); r.code == 0 {
			t.Errorf("the old key still opens the data after pruning: %s", r)
		}
	})
}
