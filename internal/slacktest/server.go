// Package slacktest is a local Slack Web API for tests: an httptest server on loopback that
// implements chat.postMessage, chat.update and incoming webhooks the way Slack does — it checks
// the token, validates Block Kit limits and answers Slack's own error bodies, returns increasing
// message timestamps, and keeps every message (with updates applied in place) and every call, so
// a test can read the final state of a channel and count calls per channel per second.
//
// Faults are injected on demand for the next N calls of a method: 429 with Retry-After, 5xx, a
// hang until the client gives up, or a Slack error such as channel_not_found. An optional
// per-channel rate limit (about one message per second, like Slack's) runs on an injectable
// clock.
//
// Any package's tests can use it:
//
//	srv := slacktest.NewServer(t)
//	api := slack.New(srv.Token, slack.OptionAPIURL(srv.APIURL))
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Methods, as recorded in Call.Method and named in Inject.
const (
	MethodPostMessage = "chat.postMessage"
	MethodUpdate      = "chat.update"
	// MethodWebhook is a POST to an incoming-webhook URL.
	MethodWebhook = "webhook"
	// MethodHistory is conversations.history.
	MethodHistory = "conversations.history"
)

// Server is a running local Slack. Its fields are read-only.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// APIURL is the Web API base to give slack-go: slack.OptionAPIURL(srv.APIURL).
	APIURL string
	// Token is the one bot token the server accepts.
	Token string

	srv  *httptest.Server
	stop chan struct{}
	now  func() time.Time
	// perSecond > 0 limits chat.postMessage and webhook posts per channel per second.
	perSecond int

	mu       sync.Mutex
	seq      int64
	base     int64
	messages map[string][]*Message // by channel, in posting order
	calls    []Call
	faults   map[string][]Fault
}

// Message is a message as Slack holds it: its latest content after any chat.update.
type Message struct {
	Channel string
	TS      string
	// ThreadTS is the parent's ts for a thread reply, "" for a top-level message.
	ThreadTS       string
	ReplyBroadcast bool
	Text           string
	// Blocks and Attachments are the JSON arrays as received (nil when absent).
	Blocks      json.RawMessage
	Attachments json.RawMessage
	// Updates counts the chat.update calls applied to the message.
	Updates int
	// Webhook is set when the message came through an incoming webhook.
	Webhook bool
	// Metadata is the message's metadata JSON as posted (nil when none).
	Metadata json.RawMessage
}

// Call is one request the server answered.
type Call struct {
	Method  string
	Channel string
	// TS is the message the call created or updated ("" when it failed before that).
	TS       string
	ThreadTS string
	Time     time.Time
	// Status is the HTTP status answered (0 when the call hung until the client gave up).
	Status int
	// Error is Slack's error code when the call failed ("ratelimited", "invalid_blocks", …).
	Error string
	// Injected is set when the outcome came from Inject or the rate limit.
	Injected bool
}

// Fault is an outcome to inject in place of the normal answer.
type Fault struct {
	// Status is the HTTP status to answer; 0 means 200 (a Web API error body) or, for a
	// webhook, the status Slack uses for Error.
	Status int
	// RetryAfter is sent in the Retry-After header (whole seconds) with a 429.
	RetryAfter time.Duration
	// Error is the Slack error code to answer, e.g. "channel_not_found".
	Error string
	// Hang holds the request until the client gives up (its timeout or context).
	Hang bool
	// Posted makes the server do the work first (the message is posted or updated) and only then
	// answer the fault: an answer lost after Slack acted, or, with NoTS, an "ok" that lacks the
	// message's ts.
	Posted bool
	// NoTS answers {"ok":true} without "ts" (with Posted).
	NoTS bool
}

// PostedButLost posts the message and then answers an HTTP 500, as when Slack acted but its
// answer was lost on the way.
func PostedButLost() Fault { return Fault{Status: http.StatusInternalServerError, Posted: true} }

// OKWithoutTS posts the message and answers ok:true without the message's ts.
func OKWithoutTS() Fault { return Fault{Posted: true, NoTS: true} }

// RateLimited is a 429 with Retry-After, as Slack answers when a channel gets more than about one
// message per second.
func RateLimited(retryAfter time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Error: "ratelimited"}
}

// ServerError is an HTTP 500 with an HTML body, as Slack's edge sends.
func ServerError() Fault { return Fault{Status: http.StatusInternalServerError} }

// Hang holds the request until the client gives up.
func Hang() Fault { return Fault{Hang: true} }

// SlackError is a Slack error body ({"ok":false,"error":code}) with HTTP 200 for the Web API, or
// the matching 4xx text body for a webhook.
func SlackError(code string) Fault { return Fault{Error: code} }

// Option configures a Server.
type Option func(*Server)

// WithClock makes the server read time from now: call times, the rate limit and message
// timestamps. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRateLimit answers 429 (Retry-After: 1) to a post when the channel already had perSecond
// posts in the last second, the way Slack limits chat.postMessage to about one per second per
// channel.
func WithRateLimit(perSecond int) Option { return func(s *Server) { s.perSecond = perSecond } }

// NewServer starts a local Slack on a loopback port and stops it when the test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		Token:    "xoxb-0000000000-test-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		stop:     make(chan struct{}),
		now:      time.Now,
		messages: map[string][]*Message{},
		faults:   map[string][]Fault{},
	}
	for _, o := range opts {
		o(s)
	}
	s.base = s.now().Unix()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", s.handleAPI(MethodPostMessage))
	mux.HandleFunc("POST /api/chat.update", s.handleAPI(MethodUpdate))
	mux.HandleFunc("POST /api/conversations.history", s.handleHistory)
	mux.HandleFunc("POST /services/{team}/{bot}/{name}", s.handleWebhook)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	s.APIURL = s.srv.URL + "/api/"
	tb.Cleanup(func() {
		close(s.stop) // release hung requests first: Close waits for them
		s.srv.Close()
	})
	return s
}

// WebhookURL is the incoming-webhook URL for a destination name; messages posted to it land in
// the channel of that name.
func (s *Server) WebhookURL(name string) string {
	return s.URL + "/services/T0000TEST/B0000TEST/" + url.PathEscape(name)
}

// Inject makes the next n calls of method (MethodPostMessage, MethodUpdate or MethodWebhook)
// answer f instead of the normal answer. Injections queue in order.
func (s *Server) Inject(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], f)
	}
}

// Messages returns the messages of a channel in posting order, top-level messages and thread
// replies alike, with their latest content.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channel]))
	for _, m := range s.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// Message returns one message by channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.find(channel, ts); m != nil {
		return *m, true
	}
	return Message{}, false
}

// Replies returns the thread replies under a parent message, in order.
func (s *Server) Replies(channel, threadTS string) []Message {
	var out []Message
	for _, m := range s.Messages(channel) {
		if m.ThreadTS == threadTS {
			out = append(out, m)
		}
	}
	return out
}

// Calls returns every call answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount counts the calls of a method ("" for all).
func (s *Server) CallCount(method string) int {
	n := 0
	for _, c := range s.Calls() {
		if method == "" || c.Method == method {
			n++
		}
	}
	return n
}

// MaxCallsPerSecond is the largest number of calls to channel within any one-second window.
func (s *Server) MaxCallsPerSecond(channel string) int {
	var times []time.Time
	for _, c := range s.Calls() {
		if c.Channel == channel {
			times = append(times, c.Time)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= time.Second {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func (s *Server) find(channel, ts string) *Message {
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// nextFault pops the next injected fault of method; the caller holds mu.
func (s *Server) nextFault(method string) (Fault, bool) {
	q := s.faults[method]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[method] = q[1:]
	return q[0], true
}

// rateLimited reports whether a post to channel now exceeds the per-second limit; the caller
// holds mu.
func (s *Server) rateLimited(channel string, now time.Time) bool {
	if s.perSecond <= 0 {
		return false
	}
	n := 0
	for _, c := range s.calls {
		if c.Channel == channel && c.Error == "" && (c.Method == MethodPostMessage || c.Method == MethodWebhook) && now.Sub(c.Time) < time.Second {
			n++
		}
	}
	return n >= s.perSecond
}

// request is a chat.postMessage or chat.update request, from a JSON or form body.
type request struct {
	Token          string
	Channel        string
	TS             string
	ThreadTS       string
	ReplyBroadcast bool
	Text           string
	Blocks         json.RawMessage
	Attachments    json.RawMessage
	Metadata       json.RawMessage
}

func parseRequest(r *http.Request) (request, error) {
	var req request
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		req.Token = strings.TrimPrefix(auth, "Bearer ")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body struct {
			Channel        string          `json:"channel"`
			TS             string          `json:"ts"`
			ThreadTS       string          `json:"thread_ts"`
			ReplyBroadcast bool            `json:"reply_broadcast"`
			Text           string          `json:"text"`
			Blocks         json.RawMessage `json:"blocks"`
			Attachments    json.RawMessage `json:"attachments"`
			Metadata       json.RawMessage `json:"metadata"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&body); err != nil {
			return req, err
		}
		req.Channel, req.TS, req.ThreadTS, req.ReplyBroadcast = body.Channel, body.TS, body.ThreadTS, body.ReplyBroadcast
		req.Text, req.Blocks, req.Attachments, req.Metadata = body.Text, body.Blocks, body.Attachments, body.Metadata
		return req, nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		return req, err
	}
	// Slack still accepts the token as a form field, which is how slack-go sends it.
	if req.Token == "" {
		req.Token = r.PostForm.Get("token")
	}
	req.Channel, req.TS, req.ThreadTS = r.PostForm.Get("channel"), r.PostForm.Get("ts"), r.PostForm.Get("thread_ts")
	req.ReplyBroadcast = r.PostForm.Get("reply_broadcast") == "true"
	req.Text = r.PostForm.Get("text")
	if b := r.PostForm.Get("blocks"); b != "" {
		req.Blocks = json.RawMessage(b)
	}
	if a := r.PostForm.Get("attachments"); a != "" {
		req.Attachments = json.RawMessage(a)
	}
	if m := r.PostForm.Get("metadata"); m != "" {
		req.Metadata = json.RawMessage(m)
	}
	return req, nil
}

func (s *Server) handleAPI(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := parseRequest(r)
		s.mu.Lock()
		now := s.now()
		call := Call{Method: method, Channel: req.Channel, ThreadTS: req.ThreadTS, Time: now}
		f, faulty := s.nextFault(method)
		if faulty && !f.Posted {
			call.Injected = true
			s.mu.Unlock()
			s.answerFault(w, r, &call, f, false)
			return
		}
		answer := func(status int, body map[string]any) {
			call.Status = status
			if e, _ := body["error"].(string); e != "" {
				call.Error = e
			}
			if faulty && body["ok"] == true {
				// Slack did the work; the answer is the injected one.
				call.Injected = true
				if f.NoTS {
					delete(body, "ts")
					delete(body, "message")
				} else {
					s.mu.Unlock()
					s.answerFault(w, r, &call, f, false)
					return
				}
			}
			s.calls = append(s.calls, call)
			s.mu.Unlock()
			writeJSON(w, status, body)
		}
		switch {
		case err != nil:
			answer(http.StatusOK, slackErr("invalid_form_data"))
			return
		case req.Token == "":
			answer(http.StatusOK, slackErr("not_authed"))
			return
		case req.Token != s.Token:
			answer(http.StatusOK, slackErr("invalid_auth"))
			return
		case req.Channel == "":
			answer(http.StatusOK, slackErr("channel_not_found"))
			return
		}
		if p := Check(req.Text, req.Blocks, req.Attachments); p != nil {
			body := slackErr(p.Code)
			body["errors"] = []string{p.Detail}
			body["response_metadata"] = map[string]any{"messages": []string{"[ERROR] " + p.Detail}}
			answer(http.StatusOK, body)
			return
		}
		switch method {
		case MethodPostMessage:
			if s.rateLimited(req.Channel, now) {
				call.Injected = true
				call.Status, call.Error = http.StatusTooManyRequests, "ratelimited"
				s.calls = append(s.calls, call)
				s.mu.Unlock()
				w.Header().Set("Retry-After", "1")
				writeJSON(w, http.StatusTooManyRequests, slackErr("ratelimited"))
				return
			}
			m := &Message{Channel: req.Channel, TS: s.nextTS(), ThreadTS: req.ThreadTS, ReplyBroadcast: req.ReplyBroadcast,
				Text: req.Text, Blocks: req.Blocks, Attachments: req.Attachments, Metadata: req.Metadata}
			// Slack posts a reply to a parent it cannot find as a top-level message.
			if m.ThreadTS != "" && s.find(req.Channel, m.ThreadTS) == nil {
				m.ThreadTS = ""
			}
			s.messages[req.Channel] = append(s.messages[req.Channel], m)
			call.TS = m.TS
			answer(http.StatusOK, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": messageJSON(m)})
		case MethodUpdate:
			m := s.find(req.Channel, req.TS)
			if req.TS == "" || m == nil {
				answer(http.StatusOK, slackErr("message_not_found"))
				return
			}
			if m.Webhook {
				answer(http.StatusOK, slackErr("cant_update_message"))
				return
			}
			m.Text = req.Text
			if req.Blocks != nil {
				m.Blocks = req.Blocks
			}
			if req.Attachments != nil {
				m.Attachments = req.Attachments
			}
			m.Updates++
			call.TS = m.TS
			answer(http.StatusOK, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "text": m.Text, "message": messageJSON(m)})
		}
	}
}

// webhookStatus is the HTTP status Slack answers with a webhook error body.
func webhookStatus(code string) int {
	switch code {
	case "channel_not_found", "no_service", "no_team", "team_disabled":
		return http.StatusNotFound
	case "invalid_token", "action_prohibited", "posting_to_general_channel_denied":
		return http.StatusForbidden
	case "channel_is_archived":
		return http.StatusGone
	case "rollup_error":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var body struct {
		Text           string          `json:"text"`
		ThreadTS       string          `json:"thread_ts"`
		Blocks         json.RawMessage `json:"blocks"`
		Attachments    json.RawMessage `json:"attachments"`
		ReplyBroadcast bool            `json:"reply_broadcast"`
	}
	err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&body)
	s.mu.Lock()
	now := s.now()
	call := Call{Method: MethodWebhook, Channel: name, Time: now}
	if f, ok := s.nextFault(MethodWebhook); ok {
		call.Injected = true
		s.mu.Unlock()
		s.answerFault(w, r, &call, f, true)
		return
	}
	text := func(status int, msg string) {
		call.Status = status
		if status != http.StatusOK {
			call.Error = msg
		}
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, msg)
	}
	if err != nil {
		text(http.StatusBadRequest, "invalid_payload")
		return
	}
	if string(body.Blocks) == "null" {
		body.Blocks = nil
	}
	if p := Check(body.Text, body.Blocks, body.Attachments); p != nil {
		text(webhookStatus(p.Code), p.Code)
		return
	}
	if s.rateLimited(name, now) {
		call.Injected = true
		call.Status, call.Error = http.StatusTooManyRequests, "rate_limited"
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "rate_limited")
		return
	}
	m := &Message{Channel: name, TS: s.nextTS(), Text: body.Text, Blocks: body.Blocks, Attachments: body.Attachments, Webhook: true}
	if body.ThreadTS != "" && s.find(name, body.ThreadTS) != nil {
		m.ThreadTS, m.ReplyBroadcast = body.ThreadTS, body.ReplyBroadcast
	}
	s.messages[name] = append(s.messages[name], m)
	call.TS = m.TS
	text(http.StatusOK, "ok")
}

// answerFault writes an injected outcome and records the call. mu is not held.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, call *Call, f Fault, webhook bool) {
	record := func() {
		s.mu.Lock()
		s.calls = append(s.calls, *call)
		s.mu.Unlock()
	}
	if f.Hang {
		call.Error = "hang"
		record()
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
		if webhook {
			status = webhookStatus(f.Error)
		}
	}
	call.Status, call.Error = status, f.Error
	if call.Error == "" && status != http.StatusOK {
		call.Error = http.StatusText(status)
	}
	record()
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	switch {
	case status >= 500:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<html><body>Internal Server Error</body></html>")
	case webhook:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Error)
	default:
		code := f.Error
		if code == "" {
			code = "fatal_error"
		}
		writeJSON(w, status, slackErr(code))
	}
}

// nextTS returns a message timestamp later than every earlier one; the caller holds mu.
func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", s.base+s.seq/1_000_000, s.seq%1_000_000)
}

func slackErr(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func messageJSON(m *Message) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "ts": m.TS, "bot_id": "B0000TEST"}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.Attachments != nil {
		out["attachments"] = m.Attachments
	}
	if m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

// handleHistory answers conversations.history: the channel's messages, newest first, top-level
// ones and thread replies that were also broadcast, as Slack lists them, with their metadata.
// Channel is the ID (or, here, the name) the messages were posted to.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	req, err := parseRequest(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Method: MethodHistory, Channel: req.Channel, Time: s.now(), Status: http.StatusOK}
	answer := func(body map[string]any) {
		if e, _ := body["error"].(string); e != "" {
			call.Error = e
		}
		s.calls = append(s.calls, call)
		writeJSON(w, http.StatusOK, body)
	}
	switch {
	case err != nil:
		answer(slackErr("invalid_form_data"))
		return
	case req.Token != s.Token:
		answer(slackErr("invalid_auth"))
		return
	}
	if f, ok := s.nextFault(MethodHistory); ok && f.Error != "" {
		call.Injected = true
		answer(slackErr(f.Error))
		return
	}
	limit, _ := strconv.Atoi(r.PostForm.Get("limit"))
	if limit <= 0 || limit > 999 {
		limit = 100
	}
	msgs := []map[string]any{}
	all := s.messages[req.Channel]
	for i := len(all) - 1; i >= 0 && len(msgs) < limit; i-- {
		if m := all[i]; m.ThreadTS == "" || m.ReplyBroadcast {
			msgs = append(msgs, messageJSON(m))
		}
	}
	answer(map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
