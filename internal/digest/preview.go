package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/preview"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// Preview writes each digest to files in Dir instead of sending it, named like the router's
// previews so that one folder reads in delivery order: NN-digest-<destination>.slack.json (the
// chat.postMessage body in bot mode, the webhook body in webhook mode), or
// NN-digest-<destination>.email.html, .email.txt and .email.headers.txt. NN continues after the
// highest number already in Dir, so the digest's files follow the router's in `make demo`.
type Preview struct {
	Dir string

	mu sync.Mutex
	// Paths lists the files written, in order.
	Paths []string
}

var _ Sender = (*Preview)(nil)

// Send renders s for dest and writes its files.
func (p *Preview) Send(_ context.Context, dest *rules.Destination, s *tally.Summary, loc *time.Location) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return fmt.Errorf("digest preview: %w", err)
	}
	base := filepath.Join(p.Dir, fmt.Sprintf("%02d-digest-%s", nextSeq(p.Dir), fileSafe(dest.Name)))
	var files [][2]string
	switch {
	case dest.Slack != nil:
		msg := render.DigestSlack(s, render.DigestOptions{Location: loc})
		var body any = render.PostMessageRequest{Channel: dest.Slack.Channel, SlackMessage: msg}
		if dest.Slack.Mode == rules.SlackWebhook {
			body = msg.Webhook()
		}
		raw, err := json.MarshalIndent(body, "", "  ")
		if err != nil {
			return fmt.Errorf("digest preview %s: %w", dest.Name, err)
		}
		files = append(files, [2]string{base + ".slack.json", string(raw) + "\n"})
	case dest.Email != nil:
		mail, err := render.DigestEmail(s, render.DigestOptions{Location: loc, SubjectPrefix: dest.Email.SubjectPrefix})
		if err != nil {
			return fmt.Errorf("digest preview %s: %w", dest.Name, err)
		}
		files = append(files,
			[2]string{base + ".email.headers.txt", preview.Headers(dest.Email, mail.Subject)},
			[2]string{base + ".email.html", mail.HTML},
			[2]string{base + ".email.txt", mail.Text})
	default:
		return fmt.Errorf("digest preview %s: unknown destination type %q", dest.Name, dest.Type)
	}
	for _, f := range files {
		if err := os.WriteFile(f[0], []byte(f[1]), 0o644); err != nil {
			return fmt.Errorf("digest preview: %w", err)
		}
		p.Paths = append(p.Paths, f[0])
	}
	return nil
}

// nextSeq is one more than the highest "NN-" prefix of a file in dir.
func nextSeq(dir string) int {
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
	return high + 1
}

// fileSafe keeps a destination name to letters, digits, '.', '_' and '-' (config names already
// are; this is a second guard, since it becomes part of a path).
func fileSafe(s string) string {
	b := []byte(s)
	if len(b) > 40 {
		b = b[:40]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if out := strings.TrimLeft(string(b), "."); out != "" {
		return out
	}
	return "none"
}
