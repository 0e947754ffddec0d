// Package channelview turns the files a local run wrote (the Slack Web API request bodies,
// incoming-webhook bodies and emails under out/<run>/) into one self-contained HTML page that
// shows each Slack channel as Slack would — the evolving message with its history and its
// thread — and each email as it renders. It reads only files, so any run's folder can be viewed,
// and needs no network: inline CSS, no script, a Content-Security-Policy that forbids both.
package channelview

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// PreviewTSBase is how the preview's made-up message timestamps begin: the preview delivery
// (internal/deliver) answers its n-th chat.postMessage with "1777888800.%06d", so the page can
// tie chat.update calls and thread replies to the message they name.
const PreviewTSBase = "1777888800"

// Run is everything one run's folder holds, in the order it was written.
type Run struct {
	Dir      string
	Channels []*Channel // Slack channels and webhook destinations, in order of first use
	Emails   []*Email
	Timeline []Entry // every file read, in order
	Problems []string
}

// Entry is one file of the run and what it was.
type Entry struct {
	File string // relative to Run.Dir
	What string
}

// Channel is a Slack channel (bot token) or an incoming-webhook destination.
type Channel struct {
	Name     string
	Webhook  bool
	Messages []*Message // top-level messages, in order posted
}

// Message is one Slack message: its versions (posted, then each chat.update) and its thread.
type Message struct {
	TS        string
	File      string
	Versions  []Version
	Replies   []*Message
	Broadcast bool // a thread reply also sent to the channel
	Orphan    bool // an update or reply whose message is not in this run
}

// Version is the message as one call left it.
type Version struct {
	File   string
	Method string // chat.postMessage, chat.update or webhook
	Body   Body
}

// Body is the part of a Slack message body the page shows.
type Body struct {
	Channel        string       `json:"channel"`
	TS             string       `json:"ts"`
	ThreadTS       string       `json:"thread_ts"`
	ReplyBroadcast bool         `json:"reply_broadcast"`
	Text           string       `json:"text"`
	Blocks         []Block      `json:"blocks"`
	Attachments    []Attachment `json:"attachments"`
}

// Block is a Block Kit block (the kinds ssmnotify sends and a few more).
type Block struct {
	Type      string `json:"type"`
	Text      *Text  `json:"text"`
	Fields    []Text `json:"fields"`
	Elements  []Text `json:"elements"` // context: text and image; actions: buttons
	Accessory *Text  `json:"accessory"`
	ImageURL  string `json:"image_url"`
	AltText   string `json:"alt_text"`
}

// Text is a composition text object, or an element (button, image) that carries one.
type Text struct {
	Type     string `json:"type"`
	Text     Str    `json:"text"`
	Emoji    bool   `json:"emoji"`
	Verbatim bool   `json:"verbatim"`
	URL      string `json:"url"`
	Style    string `json:"style"`
	AltText  string `json:"alt_text"`
	ImageURL string `json:"image_url"`
}

// Str is a text field that is a string in text objects and a text object in buttons.
type Str struct {
	S     string
	Plain bool // the field was a plain_text object
	Emoji bool
}

// UnmarshalJSON accepts a string or a {"type","text"} object.
func (s *Str) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &s.S)
	}
	var t struct {
		Type  string `json:"type"`
		Text  string `json:"text"`
		Emoji bool   `json:"emoji"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	s.S, s.Plain, s.Emoji = t.Text, t.Type != "mrkdwn", t.Emoji
	return nil
}

// Attachment is a legacy attachment: the colour bar around more blocks or text.
type Attachment struct {
	Color    string  `json:"color"`
	Pretext  string  `json:"pretext"`
	Title    string  `json:"title"`
	Text     string  `json:"text"`
	Fallback string  `json:"fallback"`
	Blocks   []Block `json:"blocks"`
	Fields   []struct {
		Title string `json:"title"`
		Value string `json:"value"`
	} `json:"fields"`
}

// Email is one email: its headers as the preview wrote them and its HTML body.
type Email struct {
	File    string
	Headers [][2]string
	Subject string
	HTML    string
}

var fileName = regexp.MustCompile(`^(\d+)-(.+)\.(slack\.json|email\.html)$`)

// Load reads every Slack body and email under dir (dir itself and its sub-folders, one level)
// in the order they were written: router/ first, digest/ last, each folder by its numbering.
func Load(dir string) (*Run, error) {
	folders, err := folders(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir}
	byChannel := map[string]*Channel{}
	for _, folder := range folders {
		files, err := numbered(filepath.Join(dir, folder))
		if err != nil {
			return nil, err
		}
		byTS := map[string]*Message{}
		posts := 0
		for _, f := range files {
			rel := filepath.ToSlash(filepath.Join(folder, f.name))
			path := filepath.Join(dir, folder, f.name)
			if f.kind == "email.html" {
				e, err := loadEmail(path, rel)
				if err != nil {
					r.Problems = append(r.Problems, err.Error())
					continue
				}
				r.Emails = append(r.Emails, e)
				r.Timeline = append(r.Timeline, Entry{rel, "email: " + e.Subject})
				continue
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			var body Body
			if err := json.Unmarshal(raw, &body); err != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: not a Slack message body: %v", rel, err))
				continue
			}
			method := "chat.postMessage"
			switch {
			case strings.HasSuffix(f.stem, "-chat.update"):
				method = "chat.update"
			case body.Channel == "":
				method = "webhook"
			}
			v := Version{File: rel, Method: method, Body: body}
			name, webhook := body.Channel, method == "webhook"
			if webhook {
				name = webhookName(f.stem)
			}
			ch := byChannel[name]
			if ch == nil {
				ch = &Channel{Name: name, Webhook: webhook}
				byChannel[name] = ch
				r.Channels = append(r.Channels, ch)
			}
			what := method + " to " + name
			switch {
			case method == "chat.update":
				m := byTS[body.TS]
				if m == nil {
					m = &Message{TS: body.TS, File: rel, Orphan: true}
					byTS[body.TS] = m
					ch.Messages = append(ch.Messages, m)
				}
				m.Versions = append(m.Versions, v)
				what = fmt.Sprintf("chat.update of %s in %s (version %d)", body.TS, name, len(m.Versions))
			case body.ThreadTS != "":
				m := &Message{File: rel, Versions: []Version{v}, Broadcast: body.ReplyBroadcast}
				if strings.HasSuffix(f.stem, "-chat.postMessage") {
					posts++
					m.TS = postTS(body, posts)
					byTS[m.TS] = m
				}
				parent := byTS[body.ThreadTS]
				if parent == nil {
					parent = &Message{TS: body.ThreadTS, File: rel, Orphan: true}
					byTS[body.ThreadTS] = parent
					ch.Messages = append(ch.Messages, parent)
				}
				parent.Replies = append(parent.Replies, m)
				what = fmt.Sprintf("thread reply to %s in %s", body.ThreadTS, name)
			default:
				m := &Message{File: rel, Versions: []Version{v}}
				if strings.HasSuffix(f.stem, "-chat.postMessage") {
					posts++
					m.TS = postTS(body, posts)
					byTS[m.TS] = m
					what = fmt.Sprintf("chat.postMessage to %s (ts %s)", name, m.TS)
				}
				ch.Messages = append(ch.Messages, m)
			}
			r.Timeline = append(r.Timeline, Entry{rel, what})
		}
	}
	return r, nil
}

// postTS is the ts a posted message got: the one its file records (a copy of what a Slack server
// holds), else the preview's n-th made-up ts.
func postTS(b Body, n int) string {
	if b.TS != "" {
		return b.TS
	}
	return fmt.Sprintf("%s.%06d", PreviewTSBase, n)
}

// webhookName is the destination an incoming-webhook body went to, from its file name
// (NN-<destination>-<command>-<target>-<status> or NN-digest-<destination>).
func webhookName(stem string) string {
	stem = strings.TrimPrefix(stem, "digest-")
	if m := regexp.MustCompile(`^(.+?)-[0-9a-f]{8}-`).FindStringSubmatch(stem); m != nil {
		return m[1]
	}
	return stem
}

type numberedFile struct {
	n          int
	name, stem string
	kind       string
}

// numbered lists the numbered preview files of dir in their numbering order.
func numbered(dir string) ([]numberedFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []numberedFile
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			continue
		}
		files = append(files, numberedFile{n: n, name: e.Name(), stem: m[2], kind: m[3]})
	}
	sort.SliceStable(files, func(i, j int) bool {
		if files[i].n != files[j].n {
			return files[i].n < files[j].n
		}
		return files[i].name < files[j].name
	})
	return files, nil
}

// folders lists "" (dir itself) and its sub-folders, router first and digest last.
func folders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("channel view: %w", err)
	}
	out := []string{""}
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	rank := func(s string) int {
		switch s {
		case "router":
			return 0
		case "":
			return 1
		case "digest":
			return 3
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank(out[i]) != rank(out[j]) {
			return rank(out[i]) < rank(out[j])
		}
		return out[i] < out[j]
	})
	return out, nil
}

func loadEmail(path, rel string) (*Email, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	e := &Email{File: rel, HTML: string(body)}
	hdr, err := os.ReadFile(strings.TrimSuffix(path, ".html") + ".headers.txt")
	if err == nil {
		for _, line := range strings.Split(string(hdr), "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok || k == "Content-Type" {
				continue
			}
			e.Headers = append(e.Headers, [2]string{k, v})
			if k == "Subject" {
				e.Subject = v
			}
		}
	}
	if e.Subject == "" {
		e.Subject = rel
	}
	return e, nil
}
