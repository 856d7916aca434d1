package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// NewUser describes a cabinet user to create.
type NewUser struct {
	Email string
	Role  Role

	// Password is the initial password; empty makes a random one that
	// must be changed at the first sign-in.
	Password string

	Departments []string
	Offices     []string

	// EmployeeID links the user to their employee record; a line manager
	// needs one.
	EmployeeID *staffbot.EmployeeID
}

// authorize checks that by may act on the company with the permission;
// by == nil is the command line, which may do anything.
func authorize(by *Principal, companyID staffbot.CompanyID, perm Permission) error {
	if by == nil {
		return nil
	}
	if by.CompanyID != companyID {
		return fmt.Errorf("company %d: %w", companyID, staffbot.ErrNotFound)
	}
	if !by.Can(perm) {
		return fmt.Errorf("role %s lacks %s: %w", by.Role, perm, staffbot.ErrForbidden)
	}
	return nil
}

// mayGrant checks that by may hand out the role.
func mayGrant(by *Principal, role Role) error {
	if by != nil && !by.Role.CanGrant(role) {
		return fmt.Errorf("role %s cannot grant %s: %w", by.Role, role, staffbot.ErrForbidden)
	}
	return nil
}

func checkEmail(email string) error {
	at := strings.IndexByte(email, '@')
	if at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>\"") {
		return fmt.Errorf("e-mail %q: %w", email, staffbot.ErrInvalid)
	}
	return nil
}

// CreateUser adds a cabinet user of the company on behalf of by (nil: the
// command line). It returns the user and, when the password was
// generated, that one-time password to hand over; it is not stored in
// clear anywhere.
func (s *Service) CreateUser(ctx context.Context, by *Principal, companyID staffbot.CompanyID, nu NewUser) (*store.User, string, error) {
	if err := authorize(by, companyID, PermUsersManage); err != nil {
		return nil, "", err
	}
	role, err := ParseRole(string(nu.Role))
	if err != nil {
		return nil, "", err
	}
	if err := mayGrant(by, role); err != nil {
		return nil, "", err
	}
	email := NormalizeEmail(nu.Email)
	if err := checkEmail(email); err != nil {
		return nil, "", err
	}
	if role.TeamOnly() && nu.EmployeeID == nil {
		return nil, "", fmt.Errorf("role %s needs the user's own employee record: %w", role, staffbot.ErrInvalid)
	}
	if nu.EmployeeID != nil {
		if _, err := s.store.FindEmployeeByID(ctx, companyID, *nu.EmployeeID); err != nil {
			return nil, "", err
		}
	}

	password, generated := nu.Password, ""
	if password == "" {
		password = GeneratePassword()
		generated = password
	} else if err := CheckPasswordPolicy(password, email); err != nil {
		return nil, "", err
	}
	hash, err := HashPassword(password, s.opts.Argon2)
	if err != nil {
		return nil, "", err
	}

	now := s.clock.Now()
	u := &store.User{
		CompanyID: companyID, Email: email, PasswordHash: hash, MustChangePassword: generated != "",
		Role: string(role), Departments: nu.Departments, Offices: nu.Offices, EmployeeID: nu.EmployeeID,
		CreatedAt: now,
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(companyID, now, by.Actor(), AuditUserCreated, ObjectUser, userID(u.ID),
			map[string]string{"role": string(role)}))
	})
	if err != nil {
		return nil, "", err
	}
	return u, generated, nil
}

// ListUsers returns the company's cabinet users to by (nil: the command
// line).
func (s *Service) ListUsers(ctx context.Context, by *Principal, companyID staffbot.CompanyID) ([]*store.User, error) {
	if err := authorize(by, companyID, PermUsersManage); err != nil {
		return nil, err
	}
	return s.store.FindUsers(ctx, companyID)
}

// targetUser loads a user of the company that by (nil: the command line)
// may manage. A user of another company is not found.
func (s *Service) targetUser(ctx context.Context, tx *store.Tx, by *Principal, companyID staffbot.CompanyID, id store.UserID) (*store.User, error) {
	if err := authorize(by, companyID, PermUsersManage); err != nil {
		return nil, err
	}
	u, err := tx.FindUserByID(ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	if err := mayGrant(by, Role(u.Role)); err != nil {
		return nil, err
	}
	return u, nil
}

// ResetUser gives a user a new one-time password, turns their two-factor
// sign-in off (they enrol again if their role needs it), lifts a lockout
// and ends their sessions, on behalf of by (nil: the command line). It
// returns the new password to hand over.
func (s *Service) ResetUser(ctx context.Context, by *Principal, companyID staffbot.CompanyID, id store.UserID) (string, error) {
	password := GeneratePassword()
	hash, err := HashPassword(password, s.opts.Argon2)
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		u, err := s.targetUser(ctx, tx, by, companyID, id)
		if err != nil {
			return err
		}
		if err := tx.SetUserPassword(ctx, u.CompanyID, u.ID, hash, true, now); err != nil {
			return err
		}
		if err := tx.DisableUserTOTP(ctx, u.CompanyID, u.ID, now); err != nil {
			return err
		}
		if err := tx.ClearLoginFailures(ctx, u.CompanyID, u.Email); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.CompanyID, u.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(u.CompanyID, now, by.Actor(), AuditUserReset, ObjectUser, userID(u.ID), nil))
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// SetUserBlocked blocks a user (ending their sessions) or unblocks them.
// Nobody blocks themselves.
func (s *Service) SetUserBlocked(ctx context.Context, by *Principal, id store.UserID, blocked bool) error {
	now := s.clock.Now()
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		u, err := s.targetUser(ctx, tx, by, by.CompanyID, id)
		if err != nil {
			return err
		}
		if u.ID == by.UserID && blocked {
			return fmt.Errorf("cannot block yourself: %w", staffbot.ErrInvalid)
		}
		if err := tx.SetUserDisabled(ctx, u.CompanyID, u.ID, blocked, now); err != nil {
			return err
		}
		action := AuditUserUnblocked
		if blocked {
			action = AuditUserBlocked
		}
		return s.audit.Record(ctx, tx, record(u.CompanyID, now, by.Actor(), action, ObjectUser, userID(u.ID), nil))
	})
}
