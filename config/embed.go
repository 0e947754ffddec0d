// Package config embeds the example routing config, config/ssmnotify.yaml, so that the CLI and
// `make demo` work with no file at hand. The Lambda functions read the copy shipped next to
// their binary instead, so that a deployment can change it without a rebuild.
package config

import _ "embed"

// Default is the text of config/ssmnotify.yaml as built into the binary.
//
//go:embed ssmnotify.yaml
var Default []byte
