package auth

import (
	"context"
	"encoding/json"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// Auditor writes audit records. When tx is not nil the record must be
// written in that transaction, so that it commits or rolls back with the
// change it records (on SQLite another transaction would wait for this one
// forever). When tx is nil — reads, which run outside a transaction — the
// auditor writes on its own. An error makes the caller fail the operation:
// nothing is changed or shown without its record.
type Auditor interface {
	Record(ctx context.Context, tx *store.Tx, rec staffbot.AuditRecord) error
}

// NopAuditor records nothing. It stands in until the audit log is wired.
type NopAuditor struct{}

// Record does nothing.
func (NopAuditor) Record(context.Context, *store.Tx, staffbot.AuditRecord) error { return nil }

// ActorAnonymous is the actor of a failed sign-in: nobody has proved who
// they are yet.
const ActorAnonymous staffbot.ActorKind = "anonymous"

// CLIActor is the actor of the staffbot admin and token commands.
var CLIActor = staffbot.Actor{Kind: staffbot.ActorSystem, ID: "cli"}

// The audited actions of this package, as object.verb.
const (
	AuditLogin            = "user.login"
	AuditLoginFailed      = "user.login_fail"
	AuditLoginLocked      = "user.login_lock"  // a client locked out after failures
	AuditLoginGuarded     = "user.login_guard" // an account failing from many clients
	AuditLogout           = "user.logout"
	AuditLogoutEverywhere = "user.logout_all"
	AuditPasswordChanged  = "user.password_change"
	AuditTOTPEnabled      = "user.totp_enable"
	AuditTOTPDisabled     = "user.totp_disable"
	AuditRecoveryUsed     = "user.recovery_code_use"
	AuditRecoveryRenewed  = "user.recovery_codes_renew"
	AuditUserCreated      = "user.create"
	AuditUserReset        = "user.reset"
	AuditUserBlocked      = "user.block"
	AuditUserUnblocked    = "user.unblock"
	AuditTokenCreated     = "api_token.create"
	AuditTokenRevoked     = "api_token.revoke"
	AuditEmployeeRead     = "employee.read"
	AuditEmployeesListed  = "employee.list"
)

// Object types of this package's records.
const (
	ObjectUser     = "user"
	ObjectAPIToken = "api_token"
	ObjectEmployee = "employee"
)

// record builds an audit record; after, when not empty, holds facts of the
// event (the role given, the sign-in method) and never secrets.
func record(companyID staffbot.CompanyID, at time.Time, actor staffbot.Actor, action, objType, objID string, after map[string]string) staffbot.AuditRecord {
	rec := staffbot.AuditRecord{
		CompanyID: companyID, At: at, Actor: actor, Action: action, ObjectType: objType, ObjectID: objID,
	}
	if len(after) > 0 {
		rec.After, _ = json.Marshal(after)
	}
	return rec
}
