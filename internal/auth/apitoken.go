package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// Token lifetimes.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 366 * 24 * time.Hour
)

// NewToken describes an API token to create.
type NewToken struct {
	Name string
	Role Role
	TTL  time.Duration // 0: DefaultTokenTTL

	Departments []string
	Offices     []string
	EmployeeID  *staffbot.EmployeeID
}

// CreateToken makes an API token of the company on behalf of by (nil: the
// command line) and returns it; only its hash is stored, so this is the
// one time it can be read. Tokens cannot be owners.
func (s *Service) CreateToken(ctx context.Context, by *Principal, companyID staffbot.CompanyID, nt NewToken) (string, *store.APIToken, error) {
	if err := authorize(by, companyID, PermTokensManage); err != nil {
		return "", nil, err
	}
	role, err := ParseRole(string(nt.Role))
	if err != nil {
		return "", nil, err
	}
	if role == RoleOwner {
		return "", nil, fmt.Errorf("tokens cannot have the owner role: %w", staffbot.ErrInvalid)
	}
	if err := mayGrant(by, role); err != nil {
		return "", nil, err
	}
	if nt.TTL == 0 {
		nt.TTL = DefaultTokenTTL
	}
	if nt.TTL < time.Minute || nt.TTL > MaxTokenTTL {
		return "", nil, fmt.Errorf("token lifetime %s: must be between a minute and 366 days: %w", nt.TTL, staffbot.ErrInvalid)
	}
	if role.TeamOnly() && nt.EmployeeID == nil {
		return "", nil, fmt.Errorf("role %s needs an employee whose team the token sees: %w", role, staffbot.ErrInvalid)
	}
	if nt.EmployeeID != nil {
		if _, err := s.store.FindEmployeeByID(ctx, companyID, *nt.EmployeeID); err != nil {
			return "", nil, err
		}
	}
	name := strings.TrimSpace(nt.Name)
	if name == "" {
		name = string(role)
	}

	token := APITokenPrefix + newToken()
	now := s.clock.Now()
	tk := &store.APIToken{
		CompanyID: companyID, Name: name, TokenHash: HashToken(token), Role: string(role),
		Departments: nt.Departments, Offices: nt.Offices, EmployeeID: nt.EmployeeID,
		CreatedAt: now, ExpiresAt: now.Add(nt.TTL),
	}
	if by != nil && by.UserID != 0 {
		id := by.UserID
		tk.CreatedBy = &id
	}
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateAPIToken(ctx, tk); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(companyID, now, by.Actor(), AuditTokenCreated, ObjectAPIToken,
			strconv.FormatInt(tk.ID, 10),
			map[string]string{"role": string(role), "expires_at": tk.ExpiresAt.UTC().Format(time.RFC3339)}))
	})
	if err != nil {
		return "", nil, err
	}
	return token, tk, nil
}

// ListTokens returns the company's tokens, newest first, without secrets.
func (s *Service) ListTokens(ctx context.Context, by *Principal, companyID staffbot.CompanyID) ([]*store.APIToken, error) {
	if err := authorize(by, companyID, PermTokensManage); err != nil {
		return nil, err
	}
	return s.store.FindAPITokens(ctx, companyID)
}

// RevokeToken stops a token of the company from working at once.
func (s *Service) RevokeToken(ctx context.Context, by *Principal, companyID staffbot.CompanyID, id int64) error {
	if err := authorize(by, companyID, PermTokensManage); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RevokeAPIToken(ctx, companyID, id, now); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, record(companyID, now, by.Actor(), AuditTokenRevoked, ObjectAPIToken,
			strconv.FormatInt(id, 10), nil))
	})
}

// AuthenticateToken returns the principal of a bearer token. An unknown
// token wraps ErrNotFound; a revoked or expired one wraps ErrExpired.
func (s *Service) AuthenticateToken(ctx context.Context, token, ip string) (*Principal, error) {
	if !strings.HasPrefix(token, APITokenPrefix) {
		return nil, fmt.Errorf("not a staffbot token: %w", staffbot.ErrNotFound)
	}
	tk, err := s.store.FindAPITokenByHash(ctx, HashToken(token))
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	switch {
	case tk.RevokedAt != nil:
		return nil, fmt.Errorf("token %d revoked: %w", tk.ID, staffbot.ErrExpired)
	case !now.Before(tk.ExpiresAt):
		return nil, fmt.Errorf("token %d expired: %w", tk.ID, staffbot.ErrExpired)
	}
	if tk.LastUsedAt == nil || now.Sub(*tk.LastUsedAt) >= time.Minute {
		if err := s.store.TouchAPIToken(ctx, tk.CompanyID, tk.ID, now); err != nil {
			return nil, err
		}
	}
	return tokenPrincipal(tk, ip), nil
}
