package staffbot

import (
	"context"
	"encoding/json"
	"time"
)

// ActorKind says what kind of party did something recorded in the audit log.
type ActorKind string

// The kinds of actor.
const (
	// ActorUser is a person signed in to the HR cabinet; the id is the
	// user's id.
	ActorUser ActorKind = "user"
	// ActorAPIToken is a client of the REST API; the id is the token's id.
	ActorAPIToken ActorKind = "api_token"
	// ActorEmployee is an employee talking to the bot; the id is the
	// employee's id.
	ActorEmployee ActorKind = "employee"
	// ActorSystem is staffbot itself (the retention job, the scheduler) or
	// an administrator at the command line; the id names which, such as
	// "retention" or "cli:root".
	ActorSystem ActorKind = "system"
)

// Actor is who did something, and from where.
type Actor struct {
	Kind ActorKind
	ID   string

	// IP is the client address of a web or API request; empty for the
	// bot, the command line and background jobs.
	IP string
}

// AuditRecord is one line of a company's audit log ("журнал аудита"): who
// did what to which object, when and from where, with the object before and
// after a change. Records are written in the same transaction as the change
// they describe, are never updated, and form a hash chain per company, so
// that an edited, deleted or reordered record is detected.
type AuditRecord struct {
	ID int64

	// CompanyID is the company whose chain holds the record; zero is the
	// installation's own chain (master key rotation, backups).
	CompanyID CompanyID

	// Seq is the record's place in its company's chain, from 1.
	Seq int64
	At  time.Time

	Actor Actor

	// Action names what happened, as object.verb: "employee.import",
	// "invite.create", "consent.give", "employee.export".
	Action string

	// ObjectType and ObjectID name the thing acted on: "employee" and its
	// id, "company" and its id.
	ObjectType string
	ObjectID   string

	// SubjectID is the employee the record is about, when there is one; an
	// employee's data export lists these records, and erasing the employee
	// redacts them.
	SubjectID *EmployeeID

	// Before and After are the object's fields before and after a change,
	// as JSON objects; secrets, phones and e-mail addresses are masked
	// before they are stored. Reads leave both empty.
	Before json.RawMessage
	After  json.RawMessage

	// Redacted is set when Before, After and the IP were removed because
	// the employee they were about was erased or anonymised; the chain
	// still proves the rest of the record.
	Redacted bool
}

type actorKey struct{}

// WithActor returns a context that names who acts in it; the audit log
// reads it when a record does not name its actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of a context made by WithActor.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
