// Package layers holds the import-layering test: it reads the layers from the top of
// docs/architecture.md and fails when a package imports one from a layer above its own, or when
// production code imports a test helper. The package has no code of its own.
package layers
