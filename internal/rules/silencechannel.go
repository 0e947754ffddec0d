package rules

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// SilenceChannel is the bot-mode Slack destination where the router announces ad-hoc silences
// being created and expired (the top-level key silence_channel), or nil when the config names
// none.
func (s *Set) SilenceChannel() *Destination { return s.silenceChannel }

// silenceChannelKey parses silence_channel: one destination name, a Slack destination posted to
// with the bot token (a webhook cannot be told apart from the alerts it carries).
func (d *decoder) silenceChannelKey(n *yaml.Node, s *Set) {
	name, ok := d.str(n, "silence_channel")
	if !ok {
		return
	}
	name = strings.TrimSpace(name)
	refs := d.destinationRefs(n, s, "silence_channel")
	if len(refs) != 1 {
		return
	}
	dest := refs[0]
	if dest.Slack == nil || dest.Slack.Mode == SlackWebhook || dest.Slack.Channel == "" {
		d.errorf(n, "silence_channel: %s is not a Slack destination in bot mode with a channel; silences are announced with the bot token", q(name))
		return
	}
	s.silenceChannel = dest
}
