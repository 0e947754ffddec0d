package rules

import "go.yaml.in/yaml/v3"

// The silence_channel key: where the router announces ad-hoc silences being created and
// expired (`ssmnotify silence`, docs/silences.md).

// SilenceChannel is the bot-mode Slack destination named by silence_channel, or nil when the
// config names none.
func (s *Set) SilenceChannel() *Destination { return s.silenceChannel }

func (r *reader) silenceChannel(n *yaml.Node) *scalar {
	s := r.str(n, "silence_channel")
	return &s
}

// silenceChannel resolves the destination: a Slack destination posted to with the bot token (a
// webhook cannot post to a channel of its choosing).
func (c *compiler) silenceChannel(raw *scalar) {
	if raw == nil || !raw.ok {
		return
	}
	refs := c.destinationRefs(list{*raw}, "silence_channel")
	if len(refs) != 1 {
		return
	}
	dest := refs[0]
	if dest.Slack == nil || dest.Slack.Mode == SlackWebhook || dest.Slack.Channel == "" {
		c.errorf(raw.line, "silence_channel: %s is not a Slack destination in bot mode with a channel; silences are announced with the bot token", q(raw.value))
		return
	}
	c.set.silenceChannel = dest
}
