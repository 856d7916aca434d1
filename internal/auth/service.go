// Package auth holds the HR cabinet's and the REST API's accounts: users
// with fixed roles and optional scopes, argon2id passwords, TOTP second
// factors with recovery codes, server-side sessions, lockout and
// throttling, API tokens, and the guarded reads of employee records that
// every handler goes through. The web and api packages build on it.
package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/clientip"
	"github.com/staffbot/staffbot/internal/store"
)

// Sign-in stages of a session. A session is created at the first stage
// the user still has to pass and replaced by a new one, with a new token,
// at each step, so a token from before a step is useless after it.
const (
	StageTOTP     = "totp"     // password accepted; second factor due
	StagePassword = "password" // must choose a new password
	StageEnrol    = "enrol"    // must set up two-factor sign-in
	StageFull     = "full"     // signed in
)

// Options tune a Service; zero fields take the defaults.
type Options struct {
	Auditor Auditor
	Logger  *slog.Logger
	Argon2  Argon2Params

	// SessionIdle ends a session nobody used for this long (30 minutes);
	// SessionMax ends it this long after sign-in in any case (12 hours).
	// A session that has not finished signing in lasts StageTTL (10
	// minutes).
	SessionIdle time.Duration
	SessionMax  time.Duration
	StageTTL    time.Duration

	// Throttling tunes how failed sign-ins are counted and locked; see
	// Throttling.
	Throttling Throttling
}

// Throttling is the sign-in failure policy. Failures are counted in the
// database, so every process sees them, per account name and client
// network, per client network, and per account name. A lock never
// reaches a client that has not failed itself: someone who knows an HR
// person's e-mail cannot keep them out by failing on purpose.
//
//   - PairLimit failures of one account from one network within Window
//     lock that account for that network for LockFor (5, 15 minutes,
//     15 minutes): guessing one password from one place.
//   - ClientLimit failures from one network within Window, whatever
//     accounts it tried, lock the network for LockFor (20): one place
//     trying many accounts.
//   - GuardAfter failures of one account within GuardWindow from any
//     networks (20, an hour) put the account under guard until the count
//     lapses: then each network gets GuardPairLimit failures on it within
//     GuardWindow before a lock of GuardLockFor (2, an hour). This slows a
//     guess spread over many addresses about tenfold and still refuses
//     nobody who has not failed.
//
// Zero fields take these defaults.
type Throttling struct {
	PairLimit   int
	ClientLimit int
	Window      time.Duration
	LockFor     time.Duration

	GuardAfter     int
	GuardWindow    time.Duration
	GuardPairLimit int
	GuardLockFor   time.Duration
}

// DefaultThrottling returns the policy of a zero Throttling.
func DefaultThrottling() Throttling {
	var t Throttling
	t.defaults()
	return t
}

// Horizon is how long a failure can count: after it, with no lock in
// force, a counter may be deleted.
func (t Throttling) Horizon() time.Duration { return max(t.Window, t.GuardWindow) }

func (t *Throttling) defaults() {
	t.PairLimit = cmp.Or(t.PairLimit, 5)
	t.ClientLimit = cmp.Or(t.ClientLimit, 20)
	t.Window = cmp.Or(t.Window, 15*time.Minute)
	t.LockFor = cmp.Or(t.LockFor, 15*time.Minute)
	t.GuardAfter = cmp.Or(t.GuardAfter, 20)
	t.GuardWindow = cmp.Or(t.GuardWindow, time.Hour)
	t.GuardPairLimit = cmp.Or(t.GuardPairLimit, 2)
	t.GuardLockFor = cmp.Or(t.GuardLockFor, time.Hour)
}

func (o *Options) defaults() {
	if o.Auditor == nil {
		o.Auditor = NopAuditor{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = DefaultArgon2
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = 30 * time.Minute
	}
	if o.SessionMax == 0 {
		o.SessionMax = 12 * time.Hour
	}
	if o.StageTTL == 0 {
		o.StageTTL = 10 * time.Minute
	}
	o.Throttling.defaults()
}

// Service signs people in and answers guarded questions on their behalf.
type Service struct {
	store  *store.Store
	clock  staffbot.Clock
	audit  Auditor
	logger *slog.Logger
	opts   Options

	// dummyHash is checked when the account does not exist, so that a
	// sign-in takes as long whether or not it does.
	dummyHash string
}

// New returns a Service over the store.
func New(st *store.Store, clock staffbot.Clock, opts Options) *Service {
	opts.defaults()
	dummy, err := HashPassword(newToken(), opts.Argon2)
	if err != nil {
		panic(fmt.Sprintf("hash dummy password: %v", err))
	}
	return &Service{store: st, clock: clock, audit: opts.Auditor, logger: opts.Logger, opts: opts, dummyHash: dummy}
}

// Store returns the store the service reads.
func (s *Service) Store() *store.Store { return s.store }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.clock.Now() }

// ErrBadCredentials is the one answer to a wrong e-mail, password or
// code, and to an unknown or blocked account.
var ErrBadCredentials = fmt.Errorf("wrong e-mail, password or code: %w", staffbot.ErrForbidden)

// errWrongCode answers a wrong code where the user is already known
// (enrolment, turning 2FA off).
var errWrongCode = fmt.Errorf("wrong code: %w", staffbot.ErrInvalid)

// LockedError answers a sign-in from a client locked out after its own
// failures, on this account or on many.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "sign-in locked until " + e.Until.UTC().Format(time.RFC3339)
}

// Unwrap makes a LockedError match staffbot.ErrForbidden.
func (e *LockedError) Unwrap() error { return staffbot.ErrForbidden }

// Grant is a session just created. Token goes into the cookie and is not
// kept anywhere else.
type Grant struct {
	Token   string
	Session *store.Session
	User    *store.User
}

// Current is the session a request came with, and its user.
type Current struct {
	Token     string
	Session   *store.Session
	User      *store.User
	Principal *Principal
}

// NormalizeEmail trims and lower-cases an e-mail, the account name.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// nextStage returns the stage a user is at once the steps before it are
// done; totpDone says the second factor has been given.
func nextStage(u *store.User, totpDone bool) string {
	switch {
	case u.TOTPEnabled() && !totpDone:
		return StageTOTP
	case u.MustChangePassword:
		return StagePassword
	case Role(u.Role).RequiresTOTP() && !u.TOTPEnabled():
		return StageEnrol
	}
	return StageFull
}

// Login checks an e-mail and password of the company's account and starts
// a session at the first stage still due. It answers ErrBadCredentials, or
// a *LockedError when this client is locked out, without saying which
// part was wrong. ip is the client's address.
func (s *Service) Login(ctx context.Context, companyID staffbot.CompanyID, email, password, ip string) (*Grant, error) {
	account := NormalizeEmail(email)
	now := s.clock.Now()
	if err := s.checkLocked(ctx, companyID, account, ip, now); err != nil {
		return nil, err
	}

	u, err := s.store.FindUserByEmail(ctx, companyID, account)
	if errors.Is(err, staffbot.ErrNotFound) {
		VerifyPassword(s.dummyHash, password)
		return nil, s.fail(ctx, companyID, account, nil, ip, "password")
	}
	if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(u.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("user %d: %w", u.ID, err)
	}
	if !ok || u.DisabledAt != nil {
		reason := "password"
		if ok {
			reason = "blocked"
		}
		return nil, s.fail(ctx, companyID, account, u, ip, reason)
	}

	var g *Grant
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.clearFailures(ctx, tx, companyID, account, ip, now); err != nil {
			return err
		}
		if _, err := tx.PruneSessions(ctx, companyID, now); err != nil {
			return err
		}
		g, err = s.newSession(ctx, tx, u, nextStage(u, false), now)
		if err != nil {
			return err
		}
		if g.Session.Stage == StageFull {
			return s.recordLogin(ctx, tx, u, ip, "password", now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// LoginWithSlug is Login for a company named by its slug, as typed on the
// sign-in form. An unknown company answers like a wrong password, in about
// the same time.
func (s *Service) LoginWithSlug(ctx context.Context, slug, email, password, ip string) (*Grant, error) {
	co, err := s.store.FindCompanyBySlug(ctx, strings.ToLower(strings.TrimSpace(slug)))
	if errors.Is(err, staffbot.ErrNotFound) {
		VerifyPassword(s.dummyHash, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	return s.Login(ctx, co.ID, email, password, ip)
}

// clientNetwork is what failures are counted by: the client's IPv4
// address or IPv6 /64, or "unknown" when there is no address.
func clientNetwork(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "unknown"
	}
	return clientip.Network(addr.Unmap()).String()
}

func pairSubject(account, ip string) store.LoginSubject {
	return store.LoginSubject{Scope: store.ThrottlePair, Account: account, Client: clientNetwork(ip)}
}

func clientSubject(ip string) store.LoginSubject {
	return store.LoginSubject{Scope: store.ThrottleClient, Client: clientNetwork(ip)}
}

// checkLocked answers a *LockedError when the client is locked out of the
// account, or out of every account; it reads nothing about other clients.
func (s *Service) checkLocked(ctx context.Context, companyID staffbot.CompanyID, account, ip string, now time.Time) error {
	counters, err := s.store.FindLoginCounters(ctx, companyID, pairSubject(account, ip), clientSubject(ip))
	if err != nil {
		return err
	}
	var until time.Time
	for _, c := range counters {
		if c.LockedUntil != nil && c.LockedUntil.After(now) && c.LockedUntil.After(until) {
			until = *c.LockedUntil
		}
	}
	if until.IsZero() {
		return nil
	}
	return &LockedError{Until: until}
}

// clearFailures forgets the failures of the account from this client after
// it got in, and drops counters that no longer count. The client's count
// over every account and the account's own count stay: the first is about
// other accounts, the second about other clients.
func (s *Service) clearFailures(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, account, ip string, now time.Time) error {
	if err := tx.ClearLoginCounter(ctx, companyID, pairSubject(account, ip)); err != nil {
		return err
	}
	_, err := tx.PruneLoginCounters(ctx, companyID, now.Add(-s.opts.Throttling.Horizon()), now)
	return err
}

// fail records a failed attempt of the account from the client and returns
// the error to answer with: ErrBadCredentials, or a *LockedError when
// this failure locked the client out. Locks and the start of a guard are
// audited.
func (s *Service) fail(ctx context.Context, companyID staffbot.CompanyID, account string, u *store.User, ip, reason string) error {
	now := s.clock.Now()
	t := s.opts.Throttling
	var (
		locked  time.Time
		guarded bool
	)
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		locked, guarded = time.Time{}, false
		objID := ""
		if u != nil {
			objID = userID(u.ID)
		}
		actor := staffbot.Actor{Kind: ActorAnonymous, IP: ip}

		// The account's count over every client decides how strict the
		// rule for this client is; it never locks anyone by itself.
		acct, err := tx.CountLoginFailure(ctx, companyID, store.LoginSubject{Scope: store.ThrottleAccount, Account: account}, now, t.GuardWindow)
		if err != nil {
			return err
		}
		limit, window, lockFor := t.PairLimit, t.Window, t.LockFor
		if acct.Failures >= t.GuardAfter {
			limit, window, lockFor = t.GuardPairLimit, t.GuardWindow, t.GuardLockFor
		}
		guarded = acct.Failures == t.GuardAfter

		var events []map[string]string
		pair, err := tx.CountLoginFailure(ctx, companyID, pairSubject(account, ip), now, window)
		if err != nil {
			return err
		}
		if pair.Failures >= limit {
			until := now.Add(lockFor)
			if err := tx.LockLogin(ctx, companyID, pair.LoginSubject, until); err != nil {
				return err
			}
			locked = until
			events = append(events, map[string]string{"scope": "account_client", "failures": strconv.Itoa(pair.Failures),
				"locked_until": until.UTC().Format(time.RFC3339)})
		}
		cl, err := tx.CountLoginFailure(ctx, companyID, clientSubject(ip), now, t.Window)
		if err != nil {
			return err
		}
		if cl.Failures >= t.ClientLimit {
			until := now.Add(t.LockFor)
			if err := tx.LockLogin(ctx, companyID, cl.LoginSubject, until); err != nil {
				return err
			}
			locked = maxTime(locked, until)
			events = append(events, map[string]string{"scope": "client", "failures": strconv.Itoa(cl.Failures),
				"locked_until": until.UTC().Format(time.RFC3339)})
		}

		// The typed account name is not recorded: people type passwords
		// into the e-mail field.
		detail := map[string]string{"reason": reason}
		if !locked.IsZero() {
			detail["locked_until"] = locked.UTC().Format(time.RFC3339)
		}
		if err := s.audit.Record(ctx, tx, record(companyID, now, actor, AuditLoginFailed, ObjectUser, objID, detail)); err != nil {
			return err
		}
		for _, ev := range events {
			if err := s.audit.Record(ctx, tx, record(companyID, now, actor, AuditLoginLocked, ObjectUser, objID, ev)); err != nil {
				return err
			}
		}
		if guarded {
			ev := map[string]string{"failures": strconv.Itoa(acct.Failures), "window": t.GuardWindow.String(),
				"pair_limit": strconv.Itoa(t.GuardPairLimit), "lock_for": t.GuardLockFor.String()}
			return s.audit.Record(ctx, tx, record(companyID, now, actor, AuditLoginGuarded, ObjectUser, objID, ev))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	attrs := []any{slog.Int64("company_id", int64(companyID)), slog.String("reason", reason)}
	if u != nil {
		attrs = append(attrs, slog.Int64("user_id", int64(u.ID)))
	}
	if guarded {
		s.logger.WarnContext(ctx, "Sign-in guard on: failures from many addresses", attrs...)
	}
	if !locked.IsZero() {
		s.logger.WarnContext(ctx, "Sign-in locked for a client", attrs...)
		return &LockedError{Until: locked}
	}
	s.logger.InfoContext(ctx, "Sign-in failed", attrs...)
	return ErrBadCredentials
}

func (s *Service) recordLogin(ctx context.Context, tx *store.Tx, u *store.User, ip, method string, now time.Time) error {
	actor := staffbot.Actor{Kind: staffbot.ActorUser, ID: userID(u.ID), IP: ip}
	return s.audit.Record(ctx, tx, record(u.CompanyID, now, actor, AuditLogin, ObjectUser, userID(u.ID),
		map[string]string{"method": method}))
}

// newSession stores a session of the user at the stage.
func (s *Service) newSession(ctx context.Context, tx *store.Tx, u *store.User, stage string, now time.Time) (*Grant, error) {
	token := newToken()
	ss := &store.Session{
		CompanyID: u.CompanyID, UserID: u.ID, TokenHash: HashToken(token), Stage: stage,
		CreatedAt: now, LastSeenAt: now,
	}
	if stage == StageFull {
		ss.ExpiresAt = now.Add(s.opts.SessionMax)
		ss.IdleUntil = minTime(now.Add(s.opts.SessionIdle), ss.ExpiresAt)
	} else {
		ss.ExpiresAt = now.Add(s.opts.StageTTL)
		ss.IdleUntil = ss.ExpiresAt
	}
	if err := tx.CreateSession(ctx, ss); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return &Grant{Token: token, Session: ss, User: u}, nil
}

// replaceSession ends the current session and starts the next stage's.
func (s *Service) replaceSession(ctx context.Context, tx *store.Tx, cur *Current, u *store.User, stage string, now time.Time) (*Grant, error) {
	if err := tx.DeleteSession(ctx, cur.Session.CompanyID, cur.Session.ID); err != nil {
		return nil, err
	}
	return s.newSession(ctx, tx, u, stage, now)
}

// Authenticate returns the session of the token with its user. An
// unknown token wraps ErrNotFound; one past its idle or absolute expiry,
// or of a blocked user, wraps ErrExpired and is deleted. A full session of
// a user who must now change the password or set up 2FA (the role
// changed, an admin reset it) comes back at that stage.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (*Current, error) {
	if token == "" {
		return nil, fmt.Errorf("no session: %w", staffbot.ErrNotFound)
	}
	ss, err := s.store.FindSessionByHash(ctx, HashToken(token))
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	expired := !now.Before(ss.IdleUntil) || !now.Before(ss.ExpiresAt)

	var u *store.User
	if !expired {
		u, err = s.store.FindUserByID(ctx, ss.CompanyID, ss.UserID)
		if err != nil {
			return nil, err
		}
		expired = u.DisabledAt != nil
	}
	if expired {
		err := s.store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, ss.CompanyID, ss.ID) })
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("session %d: %w", ss.ID, staffbot.ErrExpired)
	}

	if ss.Stage == StageFull {
		if st := nextStage(u, true); st != StageFull {
			ss.Stage = st
		}
		if now.Sub(ss.LastSeenAt) >= time.Minute {
			idle := minTime(now.Add(s.opts.SessionIdle), ss.ExpiresAt)
			if err := s.store.TouchSession(ctx, ss.CompanyID, ss.ID, now, idle); err != nil {
				return nil, err
			}
			ss.LastSeenAt, ss.IdleUntil = now, idle
		}
	}
	return &Current{Token: token, Session: ss, User: u, Principal: userPrincipal(u, ip)}, nil
}

// SecondFactor checks a TOTP code or a recovery code for a session at
// StageTOTP and moves it on. Failures count towards the account's lockout
// like wrong passwords.
func (s *Service) SecondFactor(ctx context.Context, cur *Current, code string) (*Grant, error) {
	if cur.Session.Stage != StageTOTP {
		return nil, fmt.Errorf("session is at stage %s: %w", cur.Session.Stage, staffbot.ErrForbidden)
	}
	companyID, account, ip := cur.User.CompanyID, cur.User.Email, cur.Principal.IP
	now := s.clock.Now()
	if err := s.checkLocked(ctx, companyID, account, ip, now); err != nil {
		return nil, err
	}

	var (
		g        *Grant
		ok       bool
		recovery bool
	)
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		u, err := tx.FindUserByID(ctx, companyID, cur.User.ID)
		if err != nil {
			return err
		}
		ok, recovery, err = s.checkSecondFactor(ctx, tx, u, code, now, true)
		if err != nil || !ok {
			return err
		}
		if err := s.clearFailures(ctx, tx, companyID, account, ip, now); err != nil {
			return err
		}
		if g, err = s.replaceSession(ctx, tx, cur, u, nextStage(u, true), now); err != nil {
			return err
		}
		method := "password+totp"
		if recovery {
			method = "password+recovery_code"
			if err := s.recordRecoveryUse(ctx, tx, u, ip, now); err != nil {
				return err
			}
		}
		if g.Session.Stage == StageFull {
			return s.recordLogin(ctx, tx, u, ip, method, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		reason := "totp"
		if recovery {
			reason = "recovery_code"
		}
		return nil, s.fail(ctx, companyID, account, cur.User, ip, reason)
	}
	return g, nil
}

// checkSecondFactor checks a six-digit TOTP code (each time step once) or,
// when allowed, spends a recovery code. recovery reports which kind the
// code looked like.
func (s *Service) checkSecondFactor(ctx context.Context, tx *store.Tx, u *store.User, code string, now time.Time, allowRecovery bool) (ok, recovery bool, err error) {
	compact := strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if isTOTPCode(compact) {
		step, match := matchTOTP(u.TOTPSecret, compact, now)
		if !match {
			return false, false, nil
		}
		ok, err := tx.AdvanceTOTPStep(ctx, u.CompanyID, u.ID, step)
		return ok, false, err
	}
	if !allowRecovery || u.TOTPSecret == "" {
		return false, true, nil
	}
	ok, err = tx.UseRecoveryCode(ctx, u.CompanyID, u.ID, hashRecoveryCode(u.ID, compact), now)
	return ok, true, err
}

func (s *Service) recordRecoveryUse(ctx context.Context, tx *store.Tx, u *store.User, ip string, now time.Time) error {
	actor := staffbot.Actor{Kind: staffbot.ActorUser, ID: userID(u.ID), IP: ip}
	return s.audit.Record(ctx, tx, record(u.CompanyID, now, actor, AuditRecoveryUsed, ObjectUser, userID(u.ID), nil))
}

// ChangePassword sets a new password. A signed-in user gives the current
// one; a user at StagePassword (an initial or reset password) has just
// given it. Every session of the user ends and a new one starts.
func (s *Service) ChangePassword(ctx context.Context, cur *Current, current, next string) (*Grant, error) {
	stage := cur.Session.Stage
	if stage != StagePassword && stage != StageFull {
		return nil, fmt.Errorf("session is at stage %s: %w", stage, staffbot.ErrForbidden)
	}
	u := cur.User
	if stage == StageFull {
		ok, err := VerifyPassword(u.PasswordHash, current)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, s.fail(ctx, u.CompanyID, u.Email, u, cur.Principal.IP, "password_change")
		}
	}
	if err := CheckPasswordPolicy(next, u.Email); err != nil {
		return nil, err
	}
	if same, _ := VerifyPassword(u.PasswordHash, next); same {
		return nil, fmt.Errorf("new password equals the old one: %w", staffbot.ErrInvalid)
	}
	hash, err := HashPassword(next, s.opts.Argon2)
	if err != nil {
		return nil, err
	}

	now := s.clock.Now()
	var g *Grant
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetUserPassword(ctx, u.CompanyID, u.ID, hash, false, now); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.CompanyID, u.ID); err != nil {
			return err
		}
		fresh, err := tx.FindUserByID(ctx, u.CompanyID, u.ID)
		if err != nil {
			return err
		}
		if g, err = s.newSession(ctx, tx, fresh, nextStage(fresh, true), now); err != nil {
			return err
		}
		err = s.audit.Record(ctx, tx, record(u.CompanyID, now, cur.Principal.Actor(), AuditPasswordChanged, ObjectUser, userID(u.ID), nil))
		if err != nil {
			return err
		}
		if stage != StageFull && g.Session.Stage == StageFull {
			return s.recordLogin(ctx, tx, fresh, cur.Principal.IP, "password", now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// StartEnrolment returns the secret to put into an authenticator app,
// made on the first call and kept until confirmed, so that a reload shows
// the same QR code.
func (s *Service) StartEnrolment(ctx context.Context, cur *Current) (*Enrolment, error) {
	if st := cur.Session.Stage; st != StageEnrol && st != StageFull {
		return nil, fmt.Errorf("session is at stage %s: %w", st, staffbot.ErrForbidden)
	}
	u, err := s.store.FindUserByID(ctx, cur.User.CompanyID, cur.User.ID)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabled() {
		return nil, fmt.Errorf("two-factor sign-in is on already: %w", staffbot.ErrConflict)
	}
	secret := u.TOTPPending
	if secret == "" {
		if secret, err = newTOTPSecret(); err != nil {
			return nil, err
		}
		err := s.store.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetUserTOTPPending(ctx, u.CompanyID, u.ID, secret, s.clock.Now())
		})
		if err != nil {
			return nil, err
		}
	}
	co, err := s.store.FindCompanyByID(ctx, u.CompanyID)
	if err != nil {
		return nil, err
	}
	return enrolment("staffbot "+co.Slug, u.Email, secret)
}

// ConfirmEnrolment turns two-factor sign-in on once the user types a code
// of the pending secret, and returns the recovery codes to show once. A
// session at StageEnrol moves on and the new one is returned; a signed-in
// session stays as it is and the grant is nil.
func (s *Service) ConfirmEnrolment(ctx context.Context, cur *Current, code string) ([]string, *Grant, error) {
	stage := cur.Session.Stage
	if stage != StageEnrol && stage != StageFull {
		return nil, nil, fmt.Errorf("session is at stage %s: %w", stage, staffbot.ErrForbidden)
	}
	now := s.clock.Now()
	codes := newRecoveryCodes()
	var g *Grant
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		u, err := tx.FindUserByID(ctx, cur.User.CompanyID, cur.User.ID)
		if err != nil {
			return err
		}
		if u.TOTPEnabled() {
			return fmt.Errorf("two-factor sign-in is on already: %w", staffbot.ErrConflict)
		}
		if u.TOTPPending == "" {
			return fmt.Errorf("no enrolment started: %w", staffbot.ErrInvalid)
		}
		step, ok := matchTOTP(u.TOTPPending, strings.ReplaceAll(strings.TrimSpace(code), " ", ""), now)
		if !ok {
			return errWrongCode
		}
		if err := tx.EnableUserTOTP(ctx, u.CompanyID, u.ID, u.TOTPPending, step, now); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.CompanyID, u.ID, s.hashCodes(u.ID, codes), now); err != nil {
			return err
		}
		err = s.audit.Record(ctx, tx, record(u.CompanyID, now, cur.Principal.Actor(), AuditTOTPEnabled, ObjectUser, userID(u.ID), nil))
		if err != nil || stage == StageFull {
			return err
		}
		u.TOTPSecret = u.TOTPPending
		if g, err = s.replaceSession(ctx, tx, cur, u, nextStage(u, true), now); err != nil {
			return err
		}
		if g.Session.Stage == StageFull {
			return s.recordLogin(ctx, tx, u, cur.Principal.IP, "password+totp_enrolment", now)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return codes, g, nil
}

func (s *Service) hashCodes(userID store.UserID, codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = hashRecoveryCode(userID, c)
	}
	return out
}

// DisableTOTP turns two-factor sign-in off for a role that may go without
// it; the user confirms with a current code or a recovery code.
func (s *Service) DisableTOTP(ctx context.Context, cur *Current, code string) error {
	if cur.Session.Stage != StageFull {
		return fmt.Errorf("session is at stage %s: %w", cur.Session.Stage, staffbot.ErrForbidden)
	}
	if Role(cur.User.Role).RequiresTOTP() {
		return fmt.Errorf("role %s must keep two-factor sign-in: %w", cur.User.Role, staffbot.ErrForbidden)
	}
	now := s.clock.Now()
	ok := false
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		u, err := tx.FindUserByID(ctx, cur.User.CompanyID, cur.User.ID)
		if err != nil {
			return err
		}
		if !u.TOTPEnabled() {
			return fmt.Errorf("two-factor sign-in is off already: %w", staffbot.ErrConflict)
		}
		if ok, _, err = s.checkSecondFactor(ctx, tx, u, code, now, true); err != nil || !ok {
			return err
		}
		if err := tx.DisableUserTOTP(ctx, u.CompanyID, u.ID, now); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(u.CompanyID, now, cur.Principal.Actor(), AuditTOTPDisabled, ObjectUser, userID(u.ID), nil))
	})
	if err != nil {
		return err
	}
	if !ok {
		if err := s.fail(ctx, cur.User.CompanyID, cur.User.Email, cur.User, cur.Principal.IP, "totp"); errors.As(err, new(*LockedError)) {
			return err
		}
		return errWrongCode
	}
	return nil
}

// RenewRecoveryCodes replaces the user's recovery codes after a current
// TOTP code, and returns the new ones to show once.
func (s *Service) RenewRecoveryCodes(ctx context.Context, cur *Current, code string) ([]string, error) {
	if cur.Session.Stage != StageFull {
		return nil, fmt.Errorf("session is at stage %s: %w", cur.Session.Stage, staffbot.ErrForbidden)
	}
	now := s.clock.Now()
	codes := newRecoveryCodes()
	ok := false
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		u, err := tx.FindUserByID(ctx, cur.User.CompanyID, cur.User.ID)
		if err != nil {
			return err
		}
		if !u.TOTPEnabled() {
			return fmt.Errorf("two-factor sign-in is off: %w", staffbot.ErrConflict)
		}
		if ok, _, err = s.checkSecondFactor(ctx, tx, u, code, now, false); err != nil || !ok {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.CompanyID, u.ID, s.hashCodes(u.ID, codes), now); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(u.CompanyID, now, cur.Principal.Actor(), AuditRecoveryRenewed, ObjectUser, userID(u.ID), nil))
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.fail(ctx, cur.User.CompanyID, cur.User.Email, cur.User, cur.Principal.IP, "totp"); errors.As(err, new(*LockedError)) {
			return nil, err
		}
		return nil, errWrongCode
	}
	return codes, nil
}

// Logout ends the current session.
func (s *Service) Logout(ctx context.Context, cur *Current) error {
	now := s.clock.Now()
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteSession(ctx, cur.Session.CompanyID, cur.Session.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(cur.User.CompanyID, now, cur.Principal.Actor(), AuditLogout,
			ObjectUser, userID(cur.User.ID), nil))
	})
}

// LogoutEverywhere ends every session of the user, this one included, and
// returns how many there were.
func (s *Service) LogoutEverywhere(ctx context.Context, cur *Current) (int64, error) {
	now := s.clock.Now()
	var n int64
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = tx.DeleteUserSessions(ctx, cur.User.CompanyID, cur.User.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(cur.User.CompanyID, now, cur.Principal.Actor(), AuditLogoutEverywhere,
			ObjectUser, userID(cur.User.ID), map[string]string{"sessions": fmt.Sprint(n)}))
	})
	return n, err
}

func userID(id store.UserID) string { return strconv.FormatInt(int64(id), 10) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
