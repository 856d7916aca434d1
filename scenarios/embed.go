// Package scenarios holds the scenarios staffbot ships with, written by HR
// experts and ready to use, and the JSON Schema of the scenario format.
// See README.md in this directory for the format.
package scenarios

import "embed"

// FS holds the shipped scenario files and schema.json. Pass it to
// scenario.LoadFS.
//
//go:embed *.yaml schema.json
var FS embed.FS
