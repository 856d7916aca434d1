// Package staffbot holds the vocabulary of the product: companies, employees,
// invites, consents and the errors callers act on. It does no I/O; storage,
// channels and the scenario engine live under internal/ and import it.
package staffbot
