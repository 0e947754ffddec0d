package rules

import (
	"sync"

	"github.com/ssmnotify/ssmnotify/config"
)

// DefaultFilename is the name under which the embedded config is reported.
const DefaultFilename = "config/ssmnotify.yaml (embedded)"

var defaultSet = sync.OnceValue(func() *Set {
	s, err := Parse(config.Default, DefaultFilename)
	if err != nil {
		// The embedded file is part of the build and a test parses it, so this is a
		// programming error, not a user's.
		panic("rules: the embedded config is invalid:\n" + err.Error())
	}
	return s
})

// Default returns the Set parsed from the embedded config/ssmnotify.yaml. The Set is shared and
// read-only.
func Default() *Set { return defaultSet() }
