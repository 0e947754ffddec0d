// Package preview renders deliveries to files instead of sending them: for a Slack destination
// the exact request body (chat.postMessage JSON in bot mode, the webhook body in webhook mode),
// for an email destination the HTML and text bodies and the headers. `ssmnotify preview`,
// `make demo` and the router's preview delivery mode share it.
package preview

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Writer writes previews under one directory, numbering them in the order written so that a
// listing reads in delivery order. It is not safe for concurrent use.
type Writer struct {
	dir string
	seq int
	// Enrich, when set, returns what enrichment learned about n for delivery d (the CLI wires
	// setup.CLIEnricher here), so previews carry the detail the Lambda's alerts would.
	Enrich func(n *payload.Notification, d rules.Delivery) *failure.Detail
}

// NewWriter creates dir if needed and returns a Writer for it.
func NewWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return &Writer{dir: dir}, nil
}

// Options returns the rendering options a delivery implies: the destination's mention for the
// notification's status, its subject prefix.
func Options(n *payload.Notification, d *rules.Destination) render.Options {
	var o render.Options
	if d.Slack != nil {
		o.Mention = d.Slack.Mention(n.Status)
	}
	if d.Email != nil {
		o.SubjectPrefix = d.Email.SubjectPrefix
	}
	return o
}

// Write renders n for every delivery of dec and returns the paths written.
func (w *Writer) Write(n *payload.Notification, dec rules.Decision) ([]string, error) {
	var paths []string
	for _, d := range dec.Deliveries {
		p, err := w.Delivery(n, d)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p...)
	}
	return paths, nil
}

// Delivery renders n for one delivery and writes its files:
// NN-<destination>-<command>-<target>-<status>.slack.json, or .email.html, .email.txt and
// .email.headers.txt.
func (w *Writer) Delivery(n *payload.Notification, d rules.Delivery) ([]string, error) {
	dest := d.Destination
	if dest == nil {
		return nil, fmt.Errorf("preview: delivery of route %q has no destination", d.Route)
	}
	w.seq++
	target := n.Target()
	if target == "" {
		target = "command"
	}
	base := filepath.Join(w.dir, fmt.Sprintf("%02d-%s-%s-%s-%s", w.seq,
		fileSafe(dest.Name), fileSafe(n.ShortCommandID()), fileSafe(target), fileSafe(string(n.Status))))
	opt := Options(n, dest)
	if w.Enrich != nil {
		opt.Detail = w.Enrich(n, d)
	}
	switch dest.Type {
	case rules.DestinationSlack:
		msg := render.Slack(n, opt)
		var body any = msg.Webhook()
		if dest.Slack == nil || dest.Slack.Mode != rules.SlackWebhook {
			channel := ""
			if dest.Slack != nil {
				channel = dest.Slack.Channel
			}
			body = render.PostMessageRequest{Channel: channel, SlackMessage: msg}
		}
		raw, err := marshal(body)
		if err != nil {
			return nil, fmt.Errorf("preview %s: %w", dest.Name, err)
		}
		p := base + ".slack.json"
		return []string{p}, write(p, raw)
	case rules.DestinationEmail:
		mail, err := render.Email(n, opt)
		if err != nil {
			return nil, fmt.Errorf("preview %s: %w", dest.Name, err)
		}
		files := map[string]string{
			base + ".email.html":        mail.HTML,
			base + ".email.txt":         mail.Text,
			base + ".email.headers.txt": Headers(dest.Email, mail.Subject),
		}
		paths := []string{base + ".email.headers.txt", base + ".email.html", base + ".email.txt"}
		for _, p := range paths {
			if err := write(p, []byte(files[p])); err != nil {
				return nil, err
			}
		}
		return paths, nil
	}
	return nil, fmt.Errorf("preview %s: unknown destination type %q", dest.Name, dest.Type)
}

// Headers is what the email's headers would say.
func Headers(e *rules.EmailDestination, subject string) string {
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

// fileSafe keeps a file-name part to letters, digits, '.', '_' and '-' (the values come from
// the message: a "/" or ".." must not steer the path), at most 40 bytes.
func fileSafe(s string) string {
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

// SlackCall writes the body of one Slack Web API call (chat.postMessage or chat.update) that a
// command's evolving message would make: NN-<channel>-<method>.slack.json.
func (w *Writer) SlackCall(channel, method string, body any) (string, error) {
	w.seq++
	p := filepath.Join(w.dir, fmt.Sprintf("%02d-%s-%s.slack.json", w.seq, fileSafe(channel), fileSafe(method)))
	raw, err := marshal(body)
	if err != nil {
		return "", fmt.Errorf("preview %s: %w", method, err)
	}
	return p, write(p, raw)
}
