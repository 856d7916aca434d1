package auth

import (
	"fmt"
	"net/http"
	"strings"
)

// Route is one entry of an HTTP route table: what it serves and what it
// takes to be let in. Tables are kept so that tests can walk every route;
// the isolation test asks each route that names an object for an object
// of another company.
type Route struct {
	Method string
	Path   string // a net/http pattern path, e.g. /api/v1/employees/{id}

	// Public routes need no sign-in: the sign-in pages themselves, the
	// language switch, static files.
	Public bool

	// Stages lists the unfinished sign-in stages a cabinet route also
	// serves (the second-factor page serves StageTOTP). Empty: signed-in
	// users only.
	Stages []string

	// Perm is the permission the route needs beyond being signed in;
	// empty for pages every signed-in user may open (their own security
	// settings, sign-out).
	Perm Permission

	// Object names what the {id} wildcard of Path identifies:
	// "employee", "user", "token". Every path with a wildcard must name
	// one.
	Object string
}

// Pattern returns the net/http pattern of the route.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Guard wraps a route's handler with the checks its table entry asks for.
type Guard func(Route, http.Handler) http.Handler

// Mux is a route table whose every handler passes through its guard.
type Mux struct {
	guard  Guard
	routes []Route
	h      []http.Handler
}

// NewMux returns an empty table whose routes are all wrapped by guard.
func NewMux(guard Guard) *Mux { return &Mux{guard: guard} }

// Handle adds a route. A path wildcard without an Object, or a route that
// is neither public nor guarded by a sign-in, is a wiring mistake and
// panics at start-up.
func (m *Mux) Handle(r Route, h http.Handler) {
	if strings.Contains(r.Path, "{") && !strings.HasSuffix(r.Path, "{$}") && r.Object == "" {
		panic(fmt.Sprintf("route %s: a path with a wildcard must name its Object", r.Pattern()))
	}
	if r.Public && (r.Perm != "" || r.Object != "") {
		panic(fmt.Sprintf("route %s: a public route can neither need a permission nor name an object", r.Pattern()))
	}
	m.routes = append(m.routes, r)
	m.h = append(m.h, m.guard(r, h))
}

// HandleFunc is Handle for a function.
func (m *Mux) HandleFunc(r Route, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(r, http.HandlerFunc(f))
}

// Routes returns a copy of the table.
func (m *Mux) Routes() []Route {
	out := make([]Route, len(m.routes))
	copy(out, m.routes)
	return out
}

// Register adds every route to mux.
func (m *Mux) Register(mux *http.ServeMux) {
	for i, r := range m.routes {
		mux.Handle(r.Pattern(), m.h[i])
	}
}
