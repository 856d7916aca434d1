package scenario_test

import (
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/scenario"
)

func TestUntil_Time(t *testing.T) {
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	monday := staffbot.Date{Year: 2026, Month: 3, Day: 2}
	wednesday := staffbot.Date{Year: 2026, Month: 3, Day: 4}

	tests := []struct {
		name  string
		hired staffbot.Date
		until scenario.Until
		loc   *time.Location
		want  time.Time
	}{
		{"Day1Moscow", monday, scenario.Until{Day: 1, Hour: 9}, moscow, time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)},
		{"Day1UTC", monday, scenario.Until{Day: 1, Hour: 9}, time.UTC, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		{"Day2", monday, scenario.Until{Day: 2, Hour: 9, Minute: 30}, moscow, time.Date(2026, 3, 3, 6, 30, 0, 0, time.UTC)},
		{"MinusOneIsDayBefore", monday, scenario.Until{Day: -1, Hour: 10}, moscow, time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)},
		{"MinusThreeWorkdayFriday", monday, scenario.Until{Day: -3, Hour: 10, Workday: true}, moscow, time.Date(2026, 2, 27, 7, 0, 0, 0, time.UTC)},
		{"MinusTwoSaturdayToMonday", monday, scenario.Until{Day: -2, Hour: 10, Workday: true}, moscow, time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)},
		{"MinusThreeSundayToMonday", wednesday, scenario.Until{Day: -3, Hour: 10, Workday: true}, moscow, time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)},
		{"Day5Friday", monday, scenario.Until{Day: 5, Hour: 15, Workday: true}, moscow, time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)},
		{"Day6SaturdayToMonday", monday, scenario.Until{Day: 6, Hour: 15, Workday: true}, moscow, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)},
		{"Day7SundayToMonday", monday, scenario.Until{Day: 7, Hour: 15, Workday: true}, moscow, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)},
		{"Day7SundayWithoutWorkday", monday, scenario.Until{Day: 7, Hour: 15}, moscow, time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)},
		{"Day30", monday, scenario.Until{Day: 30, Hour: 11, Workday: true}, moscow, time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC)},
		{"Day76AcrossMonths", monday, scenario.Until{Day: 76, Hour: 10, Workday: true}, moscow, time.Date(2026, 5, 18, 7, 0, 0, 0, time.UTC)},
		{"LateEveningUTCIsNextDayInMoscow", monday, scenario.Until{Day: 1, Hour: 23, Minute: 30}, time.UTC, time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got := tt.until.Time(tt.hired, tt.loc)
		if !got.Equal(tt.want) {
			t.Errorf("%s: Time = %v, want %v", tt.name, got.UTC(), tt.want)
		}
	}
}

func TestProbationEnd(t *testing.T) {
	tests := []struct {
		hired, want staffbot.Date
	}{
		{staffbot.Date{Year: 2026, Month: 3, Day: 2}, staffbot.Date{Year: 2026, Month: 6, Day: 1}},
		{staffbot.Date{Year: 2026, Month: 1, Day: 1}, staffbot.Date{Year: 2026, Month: 3, Day: 31}},
		{staffbot.Date{Year: 2025, Month: 11, Day: 30}, staffbot.Date{Year: 2026, Month: 2, Day: 28}},
	}
	for _, tt := range tests {
		if got := scenario.ProbationEnd(tt.hired); got != tt.want {
			t.Errorf("ProbationEnd(%v) = %v, want %v", tt.hired, got, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	emp := &staffbot.Employee{FullName: "Петрова Анна Сергеевна", Position: "Бухгалтер",
		HiredOn: staffbot.Date{Year: 2026, Month: 3, Day: 2}}
	mentor := &staffbot.Employee{FullName: "Иванов Иван"}
	f := scenario.Facts{Employee: emp, Mentor: mentor, Company: &staffbot.Company{Name: "Ромашка"}}
	text := scenario.Text{"ru": "{{first_name}}, ждём {{hire_date}}; наставник {{mentor_name}}; {{manager_name}}.", "en": "{{first_name}}, see you on {{hire_date}}"}

	if got, want := scenario.Render(text, "ru", f.Values("ru")), "Анна, ждём 02.03.2026; наставник Иванов Иван; ."; got != want {
		t.Errorf("ru = %q, want %q", got, want)
	}
	if got, want := scenario.Render(text, "en", f.Values("en")), "Анна, see you on 2 March 2026"; got != want {
		t.Errorf("en = %q, want %q", got, want)
	}
}
