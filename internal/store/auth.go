package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// UserID identifies a user of the HR cabinet.
type UserID int64

// User is a person who signs in to the HR cabinet of one company. Role and
// scope are kept as plain values here; internal/auth gives them meaning.
type User struct {
	ID        UserID
	CompanyID staffbot.CompanyID

	// Email is the sign-in name, trimmed and lower-cased by the caller. It
	// is unique within a company.
	Email string

	// PasswordHash is an argon2id PHC string. MustChangePassword is set for
	// an initial or reset password.
	PasswordHash       string
	MustChangePassword bool

	Role        string
	Departments []string
	Offices     []string
	EmployeeID  *staffbot.EmployeeID

	// TOTPSecret is the confirmed authenticator secret, empty while 2FA is
	// off; TOTPPending is a secret shown for enrolment and not yet
	// confirmed by a code. Both are sealed at rest.
	TOTPSecret    string
	TOTPPending   string
	TOTPEnabledAt *time.Time
	TOTPLastStep  int64

	DisabledAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TOTPEnabled reports whether the user signs in with a second factor.
func (u *User) TOTPEnabled() bool { return u.TOTPSecret != "" }

const userColumns = `id, company_id, email, password_hash, must_change_password, role, departments, offices,
	employee_id, totp_secret_sealed, totp_pending_sealed, totp_enabled_at, totp_last_step, disabled_at,
	created_at, updated_at`

func (s *Store) scanUser(row scanner) (*User, error) {
	var (
		u                 User
		mustChange        int
		depts, offices    string
		employee          sql.NullInt64
		secret, pending   string
		enabled, disabled sql.NullInt64
		created, updated  int64
	)
	err := row.Scan(&u.ID, &u.CompanyID, &u.Email, &u.PasswordHash, &mustChange, &u.Role, &depts, &offices,
		&employee, &secret, &pending, &enabled, &u.TOTPLastStep, &disabled, &created, &updated)
	if err != nil {
		return nil, err
	}
	u.MustChangePassword = mustChange != 0
	if u.Departments, err = decodeList(depts); err != nil {
		return nil, fmt.Errorf("user %d departments: %w", u.ID, err)
	}
	if u.Offices, err = decodeList(offices); err != nil {
		return nil, fmt.Errorf("user %d offices: %w", u.ID, err)
	}
	if employee.Valid {
		id := staffbot.EmployeeID(employee.Int64)
		u.EmployeeID = &id
	}
	// Keys are cached; a scanner has no context of its own to pass.
	ctx := context.Background()
	if u.TOTPSecret, err = s.OpenValue(ctx, u.CompanyID, fieldTOTP, secret); err != nil {
		return nil, fmt.Errorf("user %d totp secret: %w", u.ID, err)
	}
	if u.TOTPPending, err = s.OpenValue(ctx, u.CompanyID, fieldTOTPPending, pending); err != nil {
		return nil, fmt.Errorf("user %d pending totp secret: %w", u.ID, err)
	}
	u.TOTPEnabledAt = fromNullMillis(enabled)
	u.DisabledAt = fromNullMillis(disabled)
	u.CreatedAt = fromMillis(created)
	u.UpdatedAt = fromMillis(updated)
	return &u, nil
}

// CreateUser adds a cabinet user; the e-mail must be new in the company.
func (t *Tx) CreateUser(ctx context.Context, u *User) error {
	var n int
	err := t.queryRow(ctx, "SELECT count(*) FROM users WHERE company_id = ? AND email = ?", u.CompanyID, u.Email).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("user %s exists: %w", u.Email, staffbot.ErrConflict)
	}
	secret, err := t.SealValue(ctx, u.CompanyID, fieldTOTP, u.TOTPSecret)
	if err != nil {
		return err
	}
	pending, err := t.SealValue(ctx, u.CompanyID, fieldTOTPPending, u.TOTPPending)
	if err != nil {
		return err
	}
	if u.CreatedAt.IsZero() {
		return errors.New("bug: user without a creation time")
	}
	u.UpdatedAt = u.CreatedAt
	return t.queryRow(ctx, `INSERT INTO users (company_id, email, password_hash, must_change_password, role,
			departments, offices, employee_id, totp_secret_sealed, totp_pending_sealed, totp_enabled_at,
			created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.CompanyID, u.Email, u.PasswordHash, boolInt(u.MustChangePassword), u.Role,
		encodeList(u.Departments), encodeList(u.Offices), nullID(u.EmployeeID), secret, pending,
		nullMillis(u.TOTPEnabledAt), millis(u.CreatedAt), millis(u.CreatedAt),
	).Scan(&u.ID)
}

// FindUserByEmail returns the company's user with the e-mail.
func (s *Store) FindUserByEmail(ctx context.Context, companyID staffbot.CompanyID, email string) (*User, error) {
	u, err := s.scanUser(s.queryRow(ctx,
		"SELECT "+userColumns+" FROM users WHERE company_id = ? AND email = ?", companyID, email))
	if err != nil {
		return nil, notFound(err, "find user")
	}
	return u, nil
}

// FindUserByID returns a user of the company.
func (s *Store) FindUserByID(ctx context.Context, companyID staffbot.CompanyID, id UserID) (*User, error) {
	u, err := s.scanUser(s.queryRow(ctx,
		"SELECT "+userColumns+" FROM users WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find user %d", id))
	}
	return u, nil
}

// FindUserByID returns a user of the company and locks the row until the
// transaction ends.
func (t *Tx) FindUserByID(ctx context.Context, companyID staffbot.CompanyID, id UserID) (*User, error) {
	u, err := t.s.scanUser(t.queryRow(ctx,
		"SELECT "+userColumns+" FROM users WHERE company_id = ? AND id = ?"+t.s.forUpdate(), companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find user %d", id))
	}
	return u, nil
}

// FindUsers lists the company's users by e-mail.
func (s *Store) FindUsers(ctx context.Context, companyID staffbot.CompanyID) ([]*User, error) {
	rows, err := s.query(ctx, "SELECT "+userColumns+" FROM users WHERE company_id = ? ORDER BY email", companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// updateUser runs an UPDATE of one user and reports ErrNotFound when the
// company has no such user.
func (t *Tx) updateUser(ctx context.Context, companyID staffbot.CompanyID, id UserID, set string, args ...any) error {
	args = append(args, companyID, id)
	res, err := t.exec(ctx, "UPDATE users SET "+set+" WHERE company_id = ? AND id = ?", args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, staffbot.ErrNotFound)
	}
	return nil
}

// SetUserPassword replaces the password hash; mustChange asks the user to
// choose a new one at the next sign-in.
func (t *Tx) SetUserPassword(ctx context.Context, companyID staffbot.CompanyID, id UserID, hash string, mustChange bool, now time.Time) error {
	return t.updateUser(ctx, companyID, id, "password_hash = ?, must_change_password = ?, updated_at = ?",
		hash, boolInt(mustChange), millis(now))
}

// SetUserTOTPPending keeps a new authenticator secret until the user
// confirms it with a code.
func (t *Tx) SetUserTOTPPending(ctx context.Context, companyID staffbot.CompanyID, id UserID, secret string, now time.Time) error {
	sealed, err := t.SealValue(ctx, companyID, fieldTOTPPending, secret)
	if err != nil {
		return err
	}
	return t.updateUser(ctx, companyID, id, "totp_pending_sealed = ?, updated_at = ?", sealed, millis(now))
}

// EnableUserTOTP makes the pending secret the user's second factor; step
// is the time step of the code that confirmed it, which cannot be used
// again.
func (t *Tx) EnableUserTOTP(ctx context.Context, companyID staffbot.CompanyID, id UserID, secret string, step int64, now time.Time) error {
	sealed, err := t.SealValue(ctx, companyID, fieldTOTP, secret)
	if err != nil {
		return err
	}
	return t.updateUser(ctx, companyID, id,
		"totp_secret_sealed = ?, totp_pending_sealed = '', totp_enabled_at = ?, totp_last_step = ?, updated_at = ?",
		sealed, millis(now), step, millis(now))
}

// DisableUserTOTP turns the second factor off and drops the recovery codes.
func (t *Tx) DisableUserTOTP(ctx context.Context, companyID staffbot.CompanyID, id UserID, now time.Time) error {
	err := t.updateUser(ctx, companyID, id,
		"totp_secret_sealed = '', totp_pending_sealed = '', totp_enabled_at = NULL, updated_at = ?", millis(now))
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "DELETE FROM recovery_codes WHERE company_id = ? AND user_id = ?", companyID, id)
	return err
}

// AdvanceTOTPStep records that a code of the given time step was used. It
// reports false when that step or a later one was used already, so a code
// cannot be replayed.
func (t *Tx) AdvanceTOTPStep(ctx context.Context, companyID staffbot.CompanyID, id UserID, step int64) (bool, error) {
	res, err := t.exec(ctx, "UPDATE users SET totp_last_step = ? WHERE company_id = ? AND id = ? AND totp_last_step < ?",
		step, companyID, id, step)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetUserDisabled blocks or unblocks sign-in; blocking also ends every
// session of the user.
func (t *Tx) SetUserDisabled(ctx context.Context, companyID staffbot.CompanyID, id UserID, disabled bool, now time.Time) error {
	var at sql.NullInt64
	if disabled {
		at = sql.NullInt64{Int64: millis(now), Valid: true}
	}
	if err := t.updateUser(ctx, companyID, id, "disabled_at = ?, updated_at = ?", at, millis(now)); err != nil {
		return err
	}
	if disabled {
		_, err := t.DeleteUserSessions(ctx, companyID, id)
		return err
	}
	return nil
}

// ReplaceRecoveryCodes drops the user's recovery codes and stores new ones
// by their hashes.
func (t *Tx) ReplaceRecoveryCodes(ctx context.Context, companyID staffbot.CompanyID, userID UserID, hashes []string, now time.Time) error {
	if _, err := t.exec(ctx, "DELETE FROM recovery_codes WHERE company_id = ? AND user_id = ?", companyID, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		_, err := t.exec(ctx, "INSERT INTO recovery_codes (company_id, user_id, code_hash, created_at) VALUES (?, ?, ?, ?)",
			companyID, userID, h, millis(now))
		if err != nil {
			return fmt.Errorf("insert recovery code: %w", err)
		}
	}
	return nil
}

// UseRecoveryCode spends an unused recovery code of the user and reports
// whether there was one with the hash.
func (t *Tx) UseRecoveryCode(ctx context.Context, companyID staffbot.CompanyID, userID UserID, hash string, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE recovery_codes SET used_at = ?
		WHERE company_id = ? AND user_id = ? AND code_hash = ? AND used_at IS NULL`,
		millis(now), companyID, userID, hash)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CountRecoveryCodes returns how many unused recovery codes the user has.
func (s *Store) CountRecoveryCodes(ctx context.Context, companyID staffbot.CompanyID, userID UserID) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT count(*) FROM recovery_codes WHERE company_id = ? AND user_id = ? AND used_at IS NULL",
		companyID, userID).Scan(&n)
	return n, err
}

// Session is a signed-in browser. Only the SHA-256 of its token is kept.
type Session struct {
	ID        int64
	CompanyID staffbot.CompanyID
	UserID    UserID
	TokenHash string
	Stage     string

	CreatedAt  time.Time
	LastSeenAt time.Time
	IdleUntil  time.Time
	ExpiresAt  time.Time
}

const sessionColumns = "id, company_id, user_id, token_hash, stage, created_at, last_seen_at, idle_until, expires_at"

func scanSession(row scanner) (*Session, error) {
	var (
		ss                           Session
		created, seen, idle, expires int64
	)
	if err := row.Scan(&ss.ID, &ss.CompanyID, &ss.UserID, &ss.TokenHash, &ss.Stage, &created, &seen, &idle, &expires); err != nil {
		return nil, err
	}
	ss.CreatedAt, ss.LastSeenAt = fromMillis(created), fromMillis(seen)
	ss.IdleUntil, ss.ExpiresAt = fromMillis(idle), fromMillis(expires)
	return &ss, nil
}

// CreateSession stores a session and sets its ID.
func (t *Tx) CreateSession(ctx context.Context, ss *Session) error {
	return t.queryRow(ctx, `INSERT INTO sessions (company_id, user_id, token_hash, stage, created_at, last_seen_at,
			idle_until, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ss.CompanyID, ss.UserID, ss.TokenHash, ss.Stage, millis(ss.CreatedAt), millis(ss.LastSeenAt),
		millis(ss.IdleUntil), millis(ss.ExpiresAt)).Scan(&ss.ID)
}

// FindSessionByHash returns the session whose token has the hash. The
// token is what names the company here, so this lookup, like the API
// token one, does not filter on a company; callers act only within the
// company of the row found.
func (s *Store) FindSessionByHash(ctx context.Context, hash string) (*Session, error) {
	ss, err := scanSession(s.queryRow(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE token_hash = ?", hash))
	if err != nil {
		return nil, notFound(err, "find session")
	}
	return ss, nil
}

// TouchSession records activity on a session and moves its idle deadline.
func (s *Store) TouchSession(ctx context.Context, companyID staffbot.CompanyID, id int64, now, idleUntil time.Time) error {
	_, err := s.exec(ctx, "UPDATE sessions SET last_seen_at = ?, idle_until = ? WHERE company_id = ? AND id = ?",
		millis(now), millis(idleUntil), companyID, id)
	return err
}

// DeleteSession ends one session.
func (t *Tx) DeleteSession(ctx context.Context, companyID staffbot.CompanyID, id int64) error {
	_, err := t.exec(ctx, "DELETE FROM sessions WHERE company_id = ? AND id = ?", companyID, id)
	return err
}

// DeleteUserSessions ends every session of the user and returns how many
// there were.
func (t *Tx) DeleteUserSessions(ctx context.Context, companyID staffbot.CompanyID, userID UserID) (int64, error) {
	res, err := t.exec(ctx, "DELETE FROM sessions WHERE company_id = ? AND user_id = ?", companyID, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CountUserSessions returns how many sessions of the user are stored.
func (s *Store) CountUserSessions(ctx context.Context, companyID staffbot.CompanyID, userID UserID) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT count(*) FROM sessions WHERE company_id = ? AND user_id = ?", companyID, userID).Scan(&n)
	return n, err
}

// PruneSessions deletes the company's sessions that have expired, idle or
// absolute, by now.
func (t *Tx) PruneSessions(ctx context.Context, companyID staffbot.CompanyID, now time.Time) (int64, error) {
	res, err := t.exec(ctx, "DELETE FROM sessions WHERE company_id = ? AND (expires_at <= ? OR idle_until <= ?)",
		companyID, millis(now), millis(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Scopes of the sign-in failure counters.
const (
	// ThrottlePair counts one account name from one client network.
	ThrottlePair = "pair"
	// ThrottleClient counts one client network over every account name.
	ThrottleClient = "client"
	// ThrottleAccount counts one account name from every network.
	ThrottleAccount = "account"
)

// LoginSubject names a sign-in failure counter: the account name (the
// lower-cased e-mail as typed) and the client network it counts, empty
// where its scope does not use them.
type LoginSubject struct {
	Scope   string
	Account string
	Client  string
}

// LoginCounter is the count of one subject's failed sign-ins since
// FirstAt, and the lock they brought, if any.
type LoginCounter struct {
	LoginSubject
	Failures    int
	FirstAt     time.Time
	LockedUntil *time.Time
}

// FindLoginCounters returns the company's counters of the subjects, those
// that exist.
func (s *Store) FindLoginCounters(ctx context.Context, companyID staffbot.CompanyID, subjects ...LoginSubject) ([]LoginCounter, error) {
	var out []LoginCounter
	for _, sub := range subjects {
		c, err := scanLoginCounter(sub, s.queryRow(ctx, `SELECT failures, first_at, locked_until FROM login_throttle
			WHERE company_id = ? AND scope = ? AND account = ? AND client = ?`, companyID, sub.Scope, sub.Account, sub.Client))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func scanLoginCounter(sub LoginSubject, row scanner) (LoginCounter, error) {
	var (
		first int64
		until sql.NullInt64
	)
	c := LoginCounter{LoginSubject: sub}
	if err := row.Scan(&c.Failures, &first, &until); err != nil {
		return LoginCounter{}, err
	}
	c.FirstAt, c.LockedUntil = fromMillis(first), fromNullMillis(until)
	return c, nil
}

// CountLoginFailure adds a failed sign-in to the subject's counter and
// returns the counter after it. A counter whose lock has run out, or
// whose first failure is older than window, starts again at one.
func (t *Tx) CountLoginFailure(ctx context.Context, companyID staffbot.CompanyID, sub LoginSubject, now time.Time, window time.Duration) (LoginCounter, error) {
	_, err := t.exec(ctx, `INSERT INTO login_throttle (company_id, scope, account, client, failures, first_at) VALUES (?, ?, ?, ?, 0, ?)
		ON CONFLICT (company_id, scope, account, client) DO NOTHING`, companyID, sub.Scope, sub.Account, sub.Client, millis(now))
	if err != nil {
		return LoginCounter{}, err
	}
	c, err := scanLoginCounter(sub, t.queryRow(ctx, `SELECT failures, first_at, locked_until FROM login_throttle
		WHERE company_id = ? AND scope = ? AND account = ? AND client = ?`+t.s.forUpdate(),
		companyID, sub.Scope, sub.Account, sub.Client))
	if err != nil {
		return LoginCounter{}, err
	}
	lockOver := c.LockedUntil != nil && !c.LockedUntil.After(now)
	if lockOver || now.Sub(c.FirstAt) > window {
		c.Failures, c.FirstAt, c.LockedUntil = 0, fromMillis(millis(now)), nil
	}
	c.Failures++
	_, err = t.exec(ctx, `UPDATE login_throttle SET failures = ?, first_at = ?, locked_until = ?
		WHERE company_id = ? AND scope = ? AND account = ? AND client = ?`,
		c.Failures, millis(c.FirstAt), nullMillis(c.LockedUntil), companyID, sub.Scope, sub.Account, sub.Client)
	if err != nil {
		return LoginCounter{}, err
	}
	return c, nil
}

// LockLogin locks the subject's sign-ins until the given time.
func (t *Tx) LockLogin(ctx context.Context, companyID staffbot.CompanyID, sub LoginSubject, until time.Time) error {
	_, err := t.exec(ctx, `UPDATE login_throttle SET locked_until = ?
		WHERE company_id = ? AND scope = ? AND account = ? AND client = ?`,
		millis(until), companyID, sub.Scope, sub.Account, sub.Client)
	return err
}

// ClearLoginCounter forgets the subject's failures, after it signed in.
func (t *Tx) ClearLoginCounter(ctx context.Context, companyID staffbot.CompanyID, sub LoginSubject) error {
	_, err := t.exec(ctx, "DELETE FROM login_throttle WHERE company_id = ? AND scope = ? AND account = ? AND client = ?",
		companyID, sub.Scope, sub.Account, sub.Client)
	return err
}

// ClearLoginFailures forgets every failure and lock of the account name,
// from any network, after an administrator reset it.
func (t *Tx) ClearLoginFailures(ctx context.Context, companyID staffbot.CompanyID, account string) error {
	_, err := t.exec(ctx, "DELETE FROM login_throttle WHERE company_id = ? AND account = ? AND scope IN (?, ?)",
		companyID, account, ThrottlePair, ThrottleAccount)
	return err
}

// PruneAllLoginCounters deletes, in every company, the counters that no
// longer count: first failure before since and no lock in force at now.
func (s *Store) PruneAllLoginCounters(ctx context.Context, since, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM login_throttle WHERE first_at < ? AND (locked_until IS NULL OR locked_until <= ?)`,
		millis(since), millis(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneLoginCounters deletes the company's counters that no longer count:
// first failure before since and no lock in force at now.
func (t *Tx) PruneLoginCounters(ctx context.Context, companyID staffbot.CompanyID, since, now time.Time) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM login_throttle WHERE company_id = ? AND first_at < ?
		AND (locked_until IS NULL OR locked_until <= ?)`, companyID, millis(since), millis(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// APIToken is a credential for the REST API. Only the SHA-256 of the token
// is kept; the token acts with its own role and scope.
type APIToken struct {
	ID        int64
	CompanyID staffbot.CompanyID
	Name      string
	TokenHash string

	Role        string
	Departments []string
	Offices     []string
	EmployeeID  *staffbot.EmployeeID

	// CreatedBy is the cabinet user who made the token; nil when it came
	// from the command line.
	CreatedBy  *UserID
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

const apiTokenColumns = `id, company_id, name, token_hash, role, departments, offices, employee_id, created_by,
	created_at, expires_at, last_used_at, revoked_at`

func scanAPIToken(row scanner) (*APIToken, error) {
	var (
		tk                  APIToken
		depts, offices      string
		employee, createdBy sql.NullInt64
		created, expires    int64
		used, revoked       sql.NullInt64
	)
	err := row.Scan(&tk.ID, &tk.CompanyID, &tk.Name, &tk.TokenHash, &tk.Role, &depts, &offices, &employee,
		&createdBy, &created, &expires, &used, &revoked)
	if err != nil {
		return nil, err
	}
	if tk.Departments, err = decodeList(depts); err != nil {
		return nil, fmt.Errorf("token %d departments: %w", tk.ID, err)
	}
	if tk.Offices, err = decodeList(offices); err != nil {
		return nil, fmt.Errorf("token %d offices: %w", tk.ID, err)
	}
	if employee.Valid {
		id := staffbot.EmployeeID(employee.Int64)
		tk.EmployeeID = &id
	}
	if createdBy.Valid {
		id := UserID(createdBy.Int64)
		tk.CreatedBy = &id
	}
	tk.CreatedAt, tk.ExpiresAt = fromMillis(created), fromMillis(expires)
	tk.LastUsedAt, tk.RevokedAt = fromNullMillis(used), fromNullMillis(revoked)
	return &tk, nil
}

// CreateAPIToken stores a token and sets its ID.
func (t *Tx) CreateAPIToken(ctx context.Context, tk *APIToken) error {
	var createdBy sql.NullInt64
	if tk.CreatedBy != nil {
		createdBy = sql.NullInt64{Int64: int64(*tk.CreatedBy), Valid: true}
	}
	return t.queryRow(ctx, `INSERT INTO api_tokens (company_id, name, token_hash, role, departments, offices,
			employee_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		tk.CompanyID, tk.Name, tk.TokenHash, tk.Role, encodeList(tk.Departments), encodeList(tk.Offices),
		nullID(tk.EmployeeID), createdBy, millis(tk.CreatedAt), millis(tk.ExpiresAt)).Scan(&tk.ID)
}

// FindAPITokenByHash returns the token with the hash, revoked or expired
// ones included; the caller decides. Like FindSessionByHash it does not
// filter on a company, since the token names it.
func (s *Store) FindAPITokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	tk, err := scanAPIToken(s.queryRow(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE token_hash = ?", hash))
	if err != nil {
		return nil, notFound(err, "find api token")
	}
	return tk, nil
}

// FindAPITokens lists the company's tokens, newest first.
func (s *Store) FindAPITokens(ctx context.Context, companyID staffbot.CompanyID) ([]*APIToken, error) {
	rows, err := s.query(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE company_id = ? ORDER BY id DESC", companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*APIToken
	for rows.Next() {
		tk, err := scanAPIToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	return out, rows.Err()
}

// RevokeAPIToken stops a token of the company from working. Revoking a
// revoked token keeps the first revocation time.
func (t *Tx) RevokeAPIToken(ctx context.Context, companyID staffbot.CompanyID, id int64, now time.Time) error {
	var revoked sql.NullInt64
	err := t.queryRow(ctx, "SELECT revoked_at FROM api_tokens WHERE company_id = ? AND id = ?"+t.s.forUpdate(),
		companyID, id).Scan(&revoked)
	if err != nil {
		return notFound(err, fmt.Sprintf("find api token %d", id))
	}
	if revoked.Valid {
		return nil
	}
	_, err = t.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE company_id = ? AND id = ?", millis(now), companyID, id)
	return err
}

// TouchAPIToken records when the token was last used.
func (s *Store) TouchAPIToken(ctx context.Context, companyID staffbot.CompanyID, id int64, now time.Time) error {
	_, err := s.exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE company_id = ? AND id = ?", millis(now), companyID, id)
	return err
}

// EmployeeScope narrows the employees a reader may see. Empty lists do not
// narrow; every non-empty part must match. TeamOf keeps only employees
// whose chain of managers leads to that employee (not the employee), and
// a TeamOf naming no employee matches nobody.
type EmployeeScope struct {
	Departments []string
	Offices     []string
	TeamOf      *staffbot.EmployeeID
}

// EmployeePage picks a page of FindEmployeesInScope: employees with ids
// above AfterID, at most Limit of them (0: no limit), by id.
type EmployeePage struct {
	AfterID staffbot.EmployeeID
	Limit   int
}

// scopedEmployees builds the query for the employees of a company that a
// scope allows, with extra conditions appended by the caller.
func scopedEmployees(companyID staffbot.CompanyID, sc EmployeeScope) (string, []any) {
	var (
		b    strings.Builder
		args []any
	)
	if sc.TeamOf != nil {
		b.WriteString(`WITH RECURSIVE team (id) AS (
			SELECT id FROM employees WHERE company_id = ? AND manager_id = ?
			UNION
			SELECT e.id FROM employees e JOIN team ON e.manager_id = team.id WHERE e.company_id = ?
		) `)
		args = append(args, companyID, *sc.TeamOf, companyID)
	}
	b.WriteString("SELECT " + employeeColumns + " FROM employees WHERE company_id = ?")
	args = append(args, companyID)
	if sc.TeamOf != nil {
		b.WriteString(" AND id IN (SELECT id FROM team)")
	}
	if len(sc.Departments) > 0 {
		b.WriteString(" AND department IN (" + placeholders(len(sc.Departments)) + ")")
		for _, d := range sc.Departments {
			args = append(args, d)
		}
	}
	if len(sc.Offices) > 0 {
		b.WriteString(" AND office IN (" + placeholders(len(sc.Offices)) + ")")
		for _, o := range sc.Offices {
			args = append(args, o)
		}
	}
	return b.String(), args
}

// FindEmployeesInScope lists the company's employees that the scope
// allows, by id.
func (s *Store) FindEmployeesInScope(ctx context.Context, companyID staffbot.CompanyID, sc EmployeeScope, page EmployeePage) ([]*staffbot.Employee, error) {
	q, args := scopedEmployees(companyID, sc)
	q += " AND id > ? ORDER BY id"
	args = append(args, page.AfterID)
	if page.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", page.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find employees in scope: %w", err)
	}
	defer rows.Close()
	var out []*staffbot.Employee
	for rows.Next() {
		e, err := s.scanEmployee(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// FindEmployeeInScope returns one employee of the company if the scope
// allows it, and an error wrapping ErrNotFound otherwise: an employee out
// of scope and a missing one look the same.
func (s *Store) FindEmployeeInScope(ctx context.Context, companyID staffbot.CompanyID, sc EmployeeScope, id staffbot.EmployeeID) (*staffbot.Employee, error) {
	q, args := scopedEmployees(companyID, sc)
	q += " AND id = ?"
	args = append(args, id)
	e, err := s.scanEmployee(s.queryRow(ctx, q, args...))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find employee %d in scope", id))
	}
	return e, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func encodeList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list)
	return string(b)
}

func decodeList(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, err
	}
	return list, nil
}
