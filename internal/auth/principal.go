package auth

import (
	"strconv"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// Principal is who is asking: a signed-in cabinet user or an API token,
// always of exactly one company. Guarded operations take a Principal and
// use its company and scope in their queries.
type Principal struct {
	CompanyID staffbot.CompanyID
	Role      Role

	// Exactly one of UserID and TokenID is set.
	UserID  store.UserID
	TokenID int64

	// EmployeeID is the employee the user is, if linked; a line manager
	// sees this employee's team.
	EmployeeID *staffbot.EmployeeID

	// Departments and Offices narrow what the principal sees, when set.
	Departments []string
	Offices     []string

	// IP is the client address the request came from, for the audit log.
	IP string
}

// Can reports whether the principal's role includes the permission.
func (p *Principal) Can(perm Permission) bool { return p != nil && p.Role.Has(perm) }

// nobody is an employee id that no row has; a line manager without a
// linked employee gets it as the root of the team, so sees no one.
var nobody = staffbot.EmployeeID(0)

// Scope returns the employees the principal may see, as the store's
// scoped queries take it.
func (p *Principal) Scope() store.EmployeeScope {
	sc := store.EmployeeScope{Departments: p.Departments, Offices: p.Offices}
	if p.Role.TeamOnly() {
		root := nobody
		if p.EmployeeID != nil {
			root = *p.EmployeeID
		}
		sc.TeamOf = &root
	}
	return sc
}

// Actor names the principal in the audit log; nil is the command line.
func (p *Principal) Actor() staffbot.Actor {
	switch {
	case p == nil:
		return CLIActor
	case p.TokenID != 0:
		return staffbot.Actor{Kind: staffbot.ActorAPIToken, ID: strconv.FormatInt(p.TokenID, 10), IP: p.IP}
	}
	return staffbot.Actor{Kind: staffbot.ActorUser, ID: strconv.FormatInt(int64(p.UserID), 10), IP: p.IP}
}

// userPrincipal returns the principal of a signed-in user.
func userPrincipal(u *store.User, ip string) *Principal {
	return &Principal{
		CompanyID:   u.CompanyID,
		Role:        Role(u.Role),
		UserID:      u.ID,
		EmployeeID:  u.EmployeeID,
		Departments: u.Departments,
		Offices:     u.Offices,
		IP:          ip,
	}
}

// tokenPrincipal returns the principal of an API token.
func tokenPrincipal(tk *store.APIToken, ip string) *Principal {
	return &Principal{
		CompanyID:   tk.CompanyID,
		Role:        Role(tk.Role),
		TokenID:     tk.ID,
		EmployeeID:  tk.EmployeeID,
		Departments: tk.Departments,
		Offices:     tk.Offices,
		IP:          ip,
	}
}
