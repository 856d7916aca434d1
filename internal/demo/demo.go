// Package demo seeds the demo company: the sample staff list as 1C:ZUP
// exports it, plus a newcomer whose first day is always a few days ahead,
// so that onboarding can be watched from its first message.
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/importer"
	"github.com/staffbot/staffbot/internal/store"
)

// Slug is the demo company's slug.
const Slug = "demo"

// Personnel numbers of the people the demo invites first.
const (
	NewcomerNumber = "00500"
	MentorNumber   = "00324"
	ManagerNumber  = "00317"
)

//go:embed employees-1c.csv
var employeesCSV []byte

// Ensure creates the demo company with its staff on first run and returns
// it; later runs return the existing company unchanged.
func Ensure(ctx context.Context, st *store.Store, now time.Time) (co *staffbot.Company, created bool, err error) {
	co, err = st.FindCompanyBySlug(ctx, Slug)
	if err == nil {
		return co, false, nil
	}
	if !errors.Is(err, staffbot.ErrNotFound) {
		return nil, false, err
	}

	rows, err := importer.ParseAndValidate(bytes.NewReader(employeesCSV), "employees-1c.csv", func(string) bool { return false })
	if err != nil {
		return nil, false, fmt.Errorf("demo staff list: %w", err)
	}
	co = &staffbot.Company{Slug: Slug, Name: "Северный ветер (демо)", TimeZone: staffbot.DefaultTimeZone}

	in := make([]store.EmployeeImport, 0, len(rows)+1)
	for _, r := range rows {
		in = append(in, store.EmployeeImport{Employee: r.Employee, ManagerNumber: r.ManagerNumber, MentorNumber: r.MentorNumber})
	}
	hire := staffbot.DateOf(now.In(co.Location())).AddDays(3)
	in = append(in, store.EmployeeImport{
		Employee: staffbot.Employee{
			PersonnelNumber: NewcomerNumber,
			FullName:        "Кузнецова Дарья Андреевна",
			Position:        "Разработчик",
			Department:      "ИТ-отдел",
			Office:          "Москва, Лесная 5",
			HiredOn:         hire,
		},
		ManagerNumber: ManagerNumber,
		MentorNumber:  MentorNumber,
	})

	if err := st.CreateCompany(ctx, co); err != nil {
		return nil, false, err
	}
	if _, err := st.UpsertEmployees(ctx, co.ID, in, now); err != nil {
		return nil, false, fmt.Errorf("demo staff: %w", err)
	}
	return co, true, nil
}
