package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// SecretsManager serves GetSecretValue with secret as the SecretString, speaking the Secrets
// Manager JSON protocol the real SDK client uses (point AWS_ENDPOINT_URL_SECRETS_MANAGER at the
// returned URL). There is no local Secrets Manager to run; this is the one call the functions make.
func SecretsManager(tb testing.TB, secret string) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:ssmnotify-slack", "Name": "ssmnotify-slack", "SecretString": secret})
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// SESStore is what aws-ses-v2-local holds: every message sent.
type SESStore struct {
	Emails []SESEmail `json:"emails"`
}

// SESEmail is one message aws-ses-v2-local holds. It nests the bodies under "body" and the
// recipients under "destination"; the flat fields of older versions are read too.
type SESEmail struct {
	From    string
	To      string // the recipients, comma-separated
	Subject string
	Text    string
	HTML    string
}

// UnmarshalJSON reads both shapes of a stored message.
func (e *SESEmail) UnmarshalJSON(b []byte) error {
	var raw struct {
		From    string `json:"from"`
		To      any    `json:"to"`
		Subject string `json:"subject"`
		Text    string `json:"text"`
		HTML    string `json:"html"`
		Body    struct {
			Text string `json:"text"`
			HTML string `json:"html"`
		} `json:"body"`
		Destination struct {
			To []string `json:"to"`
		} `json:"destination"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*e = SESEmail{From: raw.From, Subject: raw.Subject, Text: raw.Body.Text, HTML: raw.Body.HTML}
	if e.Text == "" {
		e.Text = raw.Text
	}
	if e.HTML == "" {
		e.HTML = raw.HTML
	}
	switch to := raw.To.(type) {
	case string:
		e.To = to
	case []any:
		for _, t := range to {
			if s, ok := t.(string); ok {
				raw.Destination.To = append(raw.Destination.To, s)
			}
		}
	}
	if e.To == "" {
		e.To = strings.Join(raw.Destination.To, ", ")
	}
	return nil
}

// ReadSES reads the store of the aws-ses-v2-local server at url.
func ReadSES(tb testing.TB, url string) SESStore {
	tb.Helper()
	resp, err := http.Get(url + "/store")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var s SESStore
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &s); err != nil {
		tb.Fatalf("ses store: %v: %s", err, body)
	}
	return s
}
