package store

import "github.com/staffbot/staffbot"

var errNotFound = staffbot.ErrNotFound
