package testenv

import (
	"context"
	"html"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Chromium is a headless Chromium from the Debian packages (`apt-get install chromium
// fonts-noto-color-emoji`; `make test` installs them when it can), run with a fresh profile and
// every background network feature off, so a page test sends nothing anywhere.
type Chromium struct {
	Path string
	tb   testing.TB
}

// NeedChromium finds chromium on PATH, or skips (fails under CI) with the command that
// installs it.
func NeedChromium(tb testing.TB) *Chromium {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return &Chromium{Path: p, tb: tb}
		}
	}
	msg := "chromium is not installed: run `apt-get update && apt-get install -y chromium fonts-noto-color-emoji` (or `make test`, which does as root)"
	if InCI() {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return nil
}

func (c *Chromium) run(args ...string) []byte {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + c.tb.TempDir()}
	cmd := exec.CommandContext(ctx, c.Path, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.tb.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// DumpDOM loads url and returns the DOM as the browser built it.
func (c *Chromium) DumpDOM(url string) string {
	c.tb.Helper()
	return string(c.run("--dump-dom", url))
}

// Screenshot loads url in a window of width×height and writes a PNG to path.
func (c *Chromium) Screenshot(url, path string, width, height int) {
	c.tb.Helper()
	c.run("--screenshot="+path, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), url)
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		c.tb.Fatalf("chromium wrote no screenshot at %s: %v", path, err)
	}
}

var (
	// A tag: quoted attribute values may hold ">" (an email's HTML in srcdoc).
	tag       = `<(?:[^>"']|"[^"]*"|'[^']*')*>`
	invisible = regexp.MustCompile(`(?is)<head>.*?</head>|<(script|style|template)\b.*?</(script|style|template)>|<iframe\b` + tag[1:] + `.*?</iframe>`)
	anyTag    = regexp.MustCompile(`(?s)` + tag)
	spaces    = regexp.MustCompile(`\s+`)
)

// Text is the text a reader of the dumped DOM sees: the body's text without the head, styles,
// scripts or the content of frames, entities decoded, whitespace collapsed.
func Text(dom string) string {
	s := invisible.ReplaceAllString(dom, " ")
	s = anyTag.ReplaceAllString(s, " ")
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(s), " "))
}
