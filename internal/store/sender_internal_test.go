package store

import "testing"

func TestWriteTarget(t *testing.T) {
	for _, c := range []struct {
		query string
		table string
		write bool
	}{
		{"SELECT kb_revision FROM faq_settings WHERE company_id = ?", "", false},
		{"\n\t\tselect 1", "", false},
		{"INSERT INTO ticket_drafts (company_id, employee_id) VALUES (?, ?)", "ticket_drafts", true},
		{"INSERT INTO outbox(company_id) VALUES (?)", "outbox", true},
		{"\n\tUPDATE scenario_runs SET state = ? WHERE id = ?", "scenario_runs", true},
		{"DELETE FROM Ticket_Drafts WHERE company_id = ?", "ticket_drafts", true},
		{"WITH x AS (DELETE FROM tickets RETURNING id) SELECT count(*) FROM x", "", true},
		{"SAVEPOINT batched", "", true},
		{"", "", false},
	} {
		table, write := writeTarget(c.query)
		if table != c.table || write != c.write {
			t.Errorf("writeTarget(%q) = %q, %v; want %q, %v", c.query, table, write, c.table, c.write)
		}
	}
}
