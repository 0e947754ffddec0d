package problem

import (
	"errors"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"routes", "routez", 1}, {"notify_on", "notfy_on", 1}, {"ünï", "uni", 2},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	known := []string{"document", "instance", "status", "encryptTopic", "slackSecret"}
	for in, want := range map[string]string{
		"documents":     "document",
		"Status":        "status",
		"encryptTopics": "encryptTopic",
		"slacksecret":   "slackSecret", // case alone is no edit
		"region":        "",
		"":              "",
	} {
		if got := Nearest(in, known); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := DidYouMean("instanse", known); got != " (did you mean instance?)" {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := DidYouMean("zzz", known); got != "" {
		t.Errorf("DidYouMean(far) = %q", got)
	}
	// The closest wins over the first within reach.
	if got := Nearest("abcd", []string{"abxy", "abcx"}); got != "abcx" {
		t.Errorf("Nearest picked %q, want the closest", got)
	}
}

func TestList(t *testing.T) {
	l := List{File: "c.yaml"}
	if l.Err() != nil {
		t.Fatal("an empty list is an error")
	}
	l.At(7, "second on %d", 7)
	l.At(0, "about the file")
	l.At(3, "first")
	l.At(7, "third on %d", 7)
	l.Add(Problem{File: "context key", Message: "no line"})
	err := l.Err()
	var pe *Error
	if !errors.As(err, &pe) || pe.File != "c.yaml" || l.Len() != 5 {
		t.Fatalf("Err = %#v", err)
	}
	want := "c.yaml: about the file\ncontext key: no line\nc.yaml:3: first\nc.yaml:7: second on 7\nc.yaml:7: third on 7"
	if got := err.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
