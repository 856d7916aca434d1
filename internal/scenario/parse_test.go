package scenario_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/scenarios"
)

func TestLoadFS_Shipped(t *testing.T) {
	defs, err := scenario.LoadFS(scenarios.FS)
	if err != nil {
		t.Fatalf("LoadFS:\n%v", err)
	}
	if len(defs) != 1 || defs[0].ID != "onboarding" {
		t.Fatalf("loaded %d scenarios, want onboarding", len(defs))
	}
	sc := defs[0]
	if sc.Trigger != scenario.TriggerRegistration || sc.Title.In("ru") == "" || sc.Title.In("en") == "" {
		t.Errorf("trigger %q, title %v", sc.Trigger, sc.Title)
	}
	marks := map[string]bool{}
	for _, st := range sc.Steps {
		if st.Mark != nil {
			marks[st.Mark.Name] = true
		}
	}
	for _, m := range []string{"preboarding_done", "day1_done", "week1_checkin", "month1_feedback", "probation_reminder_sent", "probation_done"} {
		if !marks[m] {
			t.Errorf("no mark %q", m)
		}
	}
}

func TestParse_Problems(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"bad.yaml", []string{
			`bad.yaml:5: colour: unknown key`,
			`bad.yaml:9: steps[0].send.text: unknown placeholder {{nickname}}`,
			`bad.yaml:10: steps[1].id: duplicate step id "hello" (first at line 7)`,
			`bad.yaml:14: steps[2]: has 2 actions (send, mark)`,
			`bad.yaml:20: steps[3].ask.options[1].id: duplicate option id "yes"`,
			`bad.yaml:22: steps[4].goto: no step with id "nowhere"`,
			`bad.yaml:24: steps[5].wait.for: bad duration "2 weeks"`,
			`bad.yaml:26: steps[6].at.day: there is no day 0`,
			`bad.yaml:26: steps[6].at.time: bad time "25:00"`,
			`bad.yaml:30: steps[7].branch[0].when: the question never answers "maybe"`,
			`bad.yaml:32: steps[7].else: no step with id "missing"`,
			`bad.yaml:33: steps[8].id: "a_very_long_step_id_x" is longer than 20 characters`,
			`bad.yaml:39: steps[9].ask.options[0].id: button data "s:9999999999999999999:long_option_step_id:an_option_id_that_is_long" would be 67 bytes`,
			`bad.yaml:40: steps[10]: needs one action`,
		}},
		{"syntax.yaml", []string{
			`syntax.yaml:6: syntax: `,
		}},
		{"missing.json", []string{
			`missing.json:2: version: required`,
			`missing.json:3: title.ru: required`,
			`missing.json:6: steps[0].ask.input: must be one of text, number, date, email, phone, yes_no; not "colour"`,
			`missing.json:7: steps[1].notify.to: must be manager, mentor or hr; not "boss"`,
		}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile("testdata/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = scenario.Parse(tt.file, data)
		var probs scenario.Problems
		if !errors.As(err, &probs) {
			t.Errorf("Parse(%s) = %v, want Problems", tt.file, err)
			continue
		}
		if len(probs) != len(tt.want) {
			t.Errorf("Parse(%s): %d problems, want %d:\n%v", tt.file, len(probs), len(tt.want), err)
		}
		for i := 0; i < len(probs) && i < len(tt.want); i++ {
			if got := probs[i].String(); !strings.HasPrefix(got, tt.want[i]) {
				t.Errorf("Parse(%s) problem %d = %q, want prefix %q", tt.file, i, got, tt.want[i])
			}
		}
	}
}

func TestParse_JSONAndTextForms(t *testing.T) {
	src := `{"id": "j", "version": 2, "title": "T", "trigger": "manual",
		"steps": [{"id": "a", "send": {"text": {"ru": "Привет, {{first_name}}", "en": "Hi, {{first_name}}"},
			"buttons": [{"label": "Site", "url": "https://example.com"}, {"label": "Next", "next": true}]}},
			{"id": "b", "wait": {"for": "1d12h"}},
			{"id": "c", "ask": {"text": "n?", "input": "number", "min": 1, "max": 5, "remind_after": "24h"}}]}`
	sc, err := scenario.Parse("j.json", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := sc.Step("b").Wait.For; got != 36*time.Hour {
		t.Errorf("wait for = %v, want 36h", got)
	}
	if got := sc.Step("a").Send.Text.In("en"); got != "Hi, {{first_name}}" {
		t.Errorf("en text = %q", got)
	}
	if got := sc.Step("a").Send.Text.In("de"); got != "Привет, {{first_name}}" {
		t.Errorf("fallback text = %q, want Russian", got)
	}
	if a := sc.Step("c").Ask; a.Min == nil || *a.Min != 1 || a.RemindAfter != 24*time.Hour {
		t.Errorf("ask = %+v", a)
	}
}

func TestLoadFS_DuplicateIDsAndAllProblems(t *testing.T) {
	ok := "id: same\nversion: 1\ntitle: T\ntrigger: registration\nsteps:\n  - id: a\n    end: true\n"
	fsys := fstest.MapFS{
		"a.yaml":      {Data: []byte(ok)},
		"b.yaml":      {Data: []byte(ok)},
		"c.yml":       {Data: []byte("id: c\nversion: 1\ntitle: T\ntrigger: later\nsteps:\n  - id: a\n    end: true\n")},
		"schema.json": {Data: []byte(`{"not": "a scenario"}`)},
		"notes.txt":   {Data: []byte("ignored")},
	}
	_, err := scenario.LoadFS(fsys)
	var probs scenario.Problems
	if !errors.As(err, &probs) || len(probs) != 2 {
		t.Fatalf("LoadFS = %v, want two problems", err)
	}
	if !strings.HasPrefix(probs[0].String(), `b.yaml:1: id: scenario id "same" is also used by a.yaml`) {
		t.Errorf("problem 0 = %q", probs[0])
	}
	if !strings.HasPrefix(probs[1].String(), `c.yml:4: trigger: must be`) {
		t.Errorf("problem 1 = %q", probs[1])
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"48h", 48 * time.Hour},
		{"30m", 30 * time.Minute},
		{"2d", 48 * time.Hour},
		{"1d12h", 36 * time.Hour},
	}
	for _, tt := range tests {
		got, err := scenario.ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "2 weeks", "0h", "-1h", "d"} {
		if _, err := scenario.ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want an error", bad)
		}
	}
}
