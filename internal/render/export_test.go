package render

// Exported for the tests in package render_test.
type Links = consoleLinks

var (
	Subject  = emailSubject
	LinksFor = consoleLinksOf
)
