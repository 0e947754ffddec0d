package rules_test

import (
	"strings"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/rules"
)

func TestSilenceChannel(t *testing.T) {
	base := `destinations:
  - {name: ops-slack, slack: {channel: "#ops"}}
  - {name: hook, slack: {channel: "#hook", mode: webhook}}
  - {name: mail, email: {to: ops@example.com, from: ssmnotify@example.com}}
routes:
  - {name: all, to: [ops-slack]}
`
	set, err := rules.Parse([]byte(base+"silence_channel: ops-slack\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d := set.SilenceChannel(); d == nil || d.Name != "ops-slack" {
		t.Fatalf("SilenceChannel() = %v", d)
	}
	if set, _ := rules.Parse([]byte(base), "t.yaml"); set.SilenceChannel() != nil {
		t.Error("a channel without the key")
	}
	for value, want := range map[string]string{
		"ops-slak": `undefined destination "ops-slak" (did you mean ops-slack?)`,
		"hook":     "not a Slack destination in bot mode",
		"mail":     "not a Slack destination in bot mode",
		"[a, b]":   "silence_channel",
	} {
		_, err := rules.Parse([]byte(base+"silence_channel: "+value+"\n"), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "t.yaml:7") {
			t.Errorf("silence_channel: %s: %v, want %q at line 7", value, err, want)
		}
	}
}
