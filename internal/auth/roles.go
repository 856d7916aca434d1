package auth

import (
	"fmt"
	"slices"

	"github.com/staffbot/staffbot"
)

// Role is a fixed set of permissions given to a cabinet user or an API
// token.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner       Role = "owner"
	RoleAdmin       Role = "admin"
	RoleHRManager   Role = "hr_manager"
	RoleHROperator  Role = "hr_operator"
	RoleAnalyst     Role = "analyst"
	RoleLineManager Role = "line_manager"
)

// Roles lists every role in the order the cabinet shows them.
var Roles = []Role{RoleOwner, RoleAdmin, RoleHRManager, RoleHROperator, RoleAnalyst, RoleLineManager}

// Permission names one kind of action. Every route and every guarded
// query names the permission it needs.
type Permission string

// The permissions. Readers of employee records also need the scope of
// their principal to match the record.
const (
	// PermEmployeesRead: see employee records (name, position, department,
	// office, dates, manager).
	PermEmployeesRead Permission = "employees:read"
	// PermEmployeesContacts: also see phones and e-mails.
	PermEmployeesContacts Permission = "employees:contacts"
	// PermEmployeesWrite: change employee records and import staff files.
	PermEmployeesWrite Permission = "employees:write"
	// PermTicketsRead and PermTicketsWrite: the helpdesk queue.
	PermTicketsRead  Permission = "tickets:read"
	PermTicketsWrite Permission = "tickets:write"
	// PermContentRead: see the knowledge base, drafts and history
	// included, and the questions it left unanswered.
	PermContentRead Permission = "content:read"
	// PermContentWrite: scenarios, knowledge base, news, surveys.
	PermContentWrite Permission = "content:write"
	// PermReportsRead: dashboards and aggregate reports.
	PermReportsRead Permission = "reports:read"
	// PermAuditRead: the audit log.
	PermAuditRead Permission = "audit:read"
	// PermUsersManage: cabinet users, their roles, 2FA resets.
	PermUsersManage Permission = "users:manage"
	// PermTokensManage: API tokens.
	PermTokensManage Permission = "tokens:manage"
	// PermCompanyManage: company settings, channels, integrations, keys.
	PermCompanyManage Permission = "company:manage"
)

// Permissions lists every permission.
var Permissions = []Permission{
	PermEmployeesRead, PermEmployeesContacts, PermEmployeesWrite,
	PermTicketsRead, PermTicketsWrite, PermContentRead, PermContentWrite, PermReportsRead,
	PermAuditRead, PermUsersManage, PermTokensManage, PermCompanyManage,
}

// rolePermissions is the permission table. It is fixed in code so that a
// role means the same in every company.
var rolePermissions = map[Role][]Permission{
	RoleOwner: Permissions,
	RoleAdmin: Permissions,
	RoleHRManager: {
		PermEmployeesRead, PermEmployeesContacts, PermEmployeesWrite,
		PermTicketsRead, PermTicketsWrite, PermContentRead, PermContentWrite, PermReportsRead,
	},
	RoleHROperator: {
		PermEmployeesRead, PermEmployeesContacts, PermTicketsRead, PermTicketsWrite, PermContentRead,
	},
	RoleAnalyst: {PermReportsRead},
	RoleLineManager: {
		PermEmployeesRead, PermEmployeesContacts,
	},
}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if _, ok := rolePermissions[r]; !ok {
		return "", fmt.Errorf("role %q: use one of owner, admin, hr_manager, hr_operator, analyst, line_manager: %w",
			s, staffbot.ErrInvalid)
	}
	return r, nil
}

// Has reports whether the role includes the permission. An unknown role
// has none.
func (r Role) Has(p Permission) bool {
	return slices.Contains(rolePermissions[r], p)
}

// PermissionsOf returns the role's permissions.
func PermissionsOf(r Role) []Permission { return slices.Clone(rolePermissions[r]) }

// RequiresTOTP reports whether users of the role must sign in with a
// second factor. Owners and admins hold the keys to everything else.
func (r Role) RequiresTOTP() bool { return r == RoleOwner || r == RoleAdmin }

// TeamOnly reports whether the role sees only the team of its linked
// employee.
func (r Role) TeamOnly() bool { return r == RoleLineManager }

// CanGrant reports whether a holder of r may give role other to a user
// or a token: owners may give any role, admins any but owner, others
// none.
func (r Role) CanGrant(other Role) bool {
	switch r {
	case RoleOwner:
		return true
	case RoleAdmin:
		return other != RoleOwner
	}
	return false
}
