package staffbot

import "errors"

// Kinds of failure that callers branch on. Wrap them with %w and test them
// with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrInvalid     = errors.New("invalid")
	ErrExpired     = errors.New("expired")
	ErrForbidden   = errors.New("forbidden")
	ErrUnavailable = errors.New("unavailable")
)
