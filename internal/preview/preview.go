// Package preview writes what would be sent to files instead of sending it: for a Slack
// destination the exact request body (chat.postMessage JSON in bot mode, the webhook body in
// webhook mode), for an email destination the HTML and text bodies and the headers. It is the
// file side of internal/deliver's Preview transport, which `ssmnotify preview`, `ssmnotify
// invoke`, the digest's preview and `make demo` share.
package preview

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Writer writes previews under one directory, numbering them in the order written so that a
// listing reads in delivery order. It is not safe for concurrent use.
type Writer struct {
	dir string
	seq int
	// appending: create dir on the first write, and number each message after the highest
	// "NN-" prefix already in dir.
	appending bool
}

// NewWriter creates dir if needed and returns a Writer for it, numbering from 01.
func NewWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return &Writer{dir: dir}, nil
}

// Appending returns a Writer that numbers each message after the highest "NN-" prefix already
// in dir, so that what it writes follows the files already there (the digest's previews after
// the router's in `make demo`). dir is created on the first write.
func Appending(dir string) *Writer { return &Writer{dir: dir, appending: true} }

// next returns the path prefix of the next message: dir/NN-part-part-….
func (w *Writer) next(name []string) (string, error) {
	if w.appending {
		if err := os.MkdirAll(w.dir, 0o755); err != nil {
			return "", fmt.Errorf("preview: %w", err)
		}
		w.seq = max(w.seq, highestSeq(w.dir))
	}
	w.seq++
	parts := make([]string, 0, len(name)+1)
	parts = append(parts, fmt.Sprintf("%02d", w.seq))
	for _, p := range name {
		parts = append(parts, FileSafe(p))
	}
	return filepath.Join(w.dir, strings.Join(parts, "-")), nil
}

// Slack writes the body a Slack message would be sent with: the webhook body when webhook is
// set, else chat.postMessage to channel. The file is NN-<name>.slack.json.
func (w *Writer) Slack(name []string, channel string, webhook bool, msg render.SlackMessage) (string, error) {
	base, err := w.next(name)
	if err != nil {
		return "", err
	}
	var body any = render.PostMessageRequest{Channel: channel, SlackMessage: msg}
	if webhook {
		body = msg.Webhook()
	}
	raw, err := marshal(body)
	if err != nil {
		return "", fmt.Errorf("preview: %w", err)
	}
	p := base + ".slack.json"
	return p, write(p, raw)
}

// Email writes an email as NN-<name>.email.headers.txt, .email.html and .email.txt, and
// returns the paths in that order.
func (w *Writer) Email(name []string, e *rules.EmailDestination, msg render.EmailMessage) ([]string, error) {
	base, err := w.next(name)
	if err != nil {
		return nil, err
	}
	files := [][2]string{
		{base + ".email.headers.txt", headers(e, msg.Subject)},
		{base + ".email.html", msg.HTML},
		{base + ".email.txt", msg.Text},
	}
	paths := make([]string, 0, len(files))
	for _, f := range files {
		if err := write(f[0], []byte(f[1])); err != nil {
			return paths, err
		}
		paths = append(paths, f[0])
	}
	return paths, nil
}

// SlackCall writes the body of one Slack Web API call (chat.postMessage or chat.update) that a
// command's evolving message would make: NN-<channel>-<method>.slack.json.
func (w *Writer) SlackCall(channel, method string, body any) (string, error) {
	base, err := w.next([]string{channel, method})
	if err != nil {
		return "", err
	}
	p := base + ".slack.json"
	raw, err := marshal(body)
	if err != nil {
		return "", fmt.Errorf("preview %s: %w", method, err)
	}
	return p, write(p, raw)
}

// headers is what the email's headers would say.
func headers(e *rules.EmailDestination, subject string) string {
	var b strings.Builder
	if e != nil {
		fmt.Fprintf(&b, "From: %s\n", e.From)
		fmt.Fprintf(&b, "To: %s\n", strings.Join(e.To, ", "))
		if len(e.Cc) > 0 {
			fmt.Fprintf(&b, "Cc: %s\n", strings.Join(e.Cc, ", "))
		}
	}
	fmt.Fprintf(&b, "Subject: %s\n", subject)
	b.WriteString("Content-Type: multipart/alternative (text/plain; text/html; charset=UTF-8)\n")
	return b.String()
}

func marshal(v any) ([]byte, error) {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(raw, '\n'), nil
}

func write(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	return nil
}

// highestSeq is the highest "NN-" prefix of a file in dir (0 for none).
func highestSeq(dir string) int {
	entries, _ := os.ReadDir(dir)
	high := 0
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "-")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(num); err == nil && n > high {
			high = n
		}
	}
	return high
}

// FileSafe keeps a file-name part to letters, digits, '.', '_' and '-' (the values come from
// the message or the config: a "/" or ".." must not steer the path), at most 40 bytes.
func FileSafe(s string) string {
	if s == "" {
		return "none"
	}
	b := []byte(s)
	if len(b) > 40 {
		b = b[:40]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	out := strings.TrimLeft(string(b), ".")
	if out == "" {
		return "none"
	}
	return out
}
