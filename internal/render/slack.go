package render

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// Slack's Block Kit limits. See https://docs.slack.dev/reference/block-kit/blocks.
const (
	// MaxBlocks is the most blocks a message (or an attachment) may carry.
	MaxBlocks = 50
	// MaxSectionText is the longest text of a section block, in characters.
	MaxSectionText = 3000
	// maxFieldText is the longest text of one section field.
	maxFieldText = 2000
	// maxFields is the most fields a section block may carry.
	maxFields = 10
	// maxHeaderText is the longest text of a header block.
	maxHeaderText = 150
	// maxContextElements is the most elements a context block may carry.
	maxContextElements = 10
	// MaxFallbackText caps the top-level text. Slack accepts 40,000 characters, but the text is a
	// notification preview and a screen-reader summary: short is better.
	MaxFallbackText = 3000
)

// SlackMessage is a rendered Slack message. Its JSON is the message part of a chat.postMessage
// or chat.update request body (and of an incoming webhook's body).
type SlackMessage struct {
	// Text is always set: Slack uses it for notifications and screen readers when blocks are
	// present, and shows it when they cannot be.
	Text string `json:"text"`
	// Blocks are the message's top-level blocks.
	Blocks []slack.Block `json:"blocks,omitempty"`
	// Attachments carry the status colour (Block Kit has none) around further blocks.
	Attachments []slack.Attachment `json:"attachments,omitempty"`
}

// PostMessageRequest is the JSON body of a chat.postMessage call carrying m — what the preview
// writes. (slack-go sends the same fields as a form.)
type PostMessageRequest struct {
	Channel string `json:"channel"`
	SlackMessage
	ThreadTS       string `json:"thread_ts,omitempty"`
	ReplyBroadcast bool   `json:"reply_broadcast,omitempty"`
	UnfurlLinks    bool   `json:"unfurl_links"`
	UnfurlMedia    bool   `json:"unfurl_media"`
}

// Webhook is m as an incoming-webhook body. Link names and parsing are off so that plain
// "@channel" in the fallback text cannot become a mention either.
func (m SlackMessage) Webhook() *slack.WebhookMessage {
	f := false
	return &slack.WebhookMessage{
		Text:        m.Text,
		Blocks:      &slack.Blocks{BlockSet: m.Blocks},
		Attachments: m.Attachments,
		Parse:       "none",
		UnfurlLinks: &f,
		UnfurlMedia: &f,
	}
}

// JSON is m marshalled, for logs of sizes, previews and golden files.
func (m SlackMessage) JSON() ([]byte, error) { return json.Marshal(m) }

// Slack renders n as a Slack message: a header with the status and document, the configured
// mention, and — in an attachment coloured by status — the facts (command, kind, instances,
// times, region, account) and the console links.
func Slack(n *payload.Notification, opt Options) SlackMessage {
	if !Pages(opt.Detail) {
		// Every failed instance is "patched, reported failure": say it, but page nobody.
		opt.Mention = ""
	}
	f := newFacts(n)
	doc := EscapeMrkdwnMax(f.document, maxDocumentRunes, Ellipsis, true)
	target := ""
	if f.target != "" {
		target = EscapeMrkdwnMax(f.target, maxIDRunes, Ellipsis, true)
	}
	region := EscapeMrkdwnMax(n.Region, 40, Ellipsis, true)

	// The summary line, reused by the fallback text.
	var sum strings.Builder
	sum.Grow(256)
	sum.WriteString(f.style.Emoji)
	sum.WriteByte(' ')
	sum.WriteString(EscapeMrkdwnMax(f.status, 60, Ellipsis, true))
	sum.WriteString(": ")
	sum.WriteString(doc)
	if target != "" {
		sum.WriteString(f.on)
		sum.WriteString(target)
	}
	sum.WriteString(" — command ")
	sum.WriteString(EscapeMrkdwnMax(n.ShortCommandID(), 40, Ellipsis, true))
	if region != "" {
		sum.WriteString(" (")
		sum.WriteString(region)
		sum.WriteByte(')')
	}
	summary := sum.String()

	text := summary
	if opt.Mention != "" {
		text = opt.Mention + " " + summary
	}

	blocks := make([]slack.Block, 0, 2)
	blocks = append(blocks, HeaderBlock(f.style.Emoji+" "+f.status+": "+f.document))
	var lead strings.Builder
	if opt.Mention != "" {
		lead.WriteString(opt.Mention)
		lead.WriteByte(' ')
	}
	lead.WriteString("Run Command *")
	lead.WriteString(EscapeMrkdwnMax(strings.ToLower(f.status), 60, Ellipsis, true))
	lead.WriteString("*")
	if target != "" {
		lead.WriteString(f.on)
		lead.WriteString(target)
	} else if n.Kind != payload.KindInvocation {
		lead.WriteString(" (instances targeted by tags)")
	}
	lead.WriteByte('.')
	blocks = append(blocks, MrkdwnSection(lead.String()))

	att := slack.Attachment{Color: f.style.Color, Fallback: FitMrkdwn(summary, MaxFallbackText, TruncatedMarker)}
	att.Blocks.BlockSet = slackDetails(&f, doc, region, opt.Detail)

	return SlackMessage{
		Text:        FitMrkdwn(text, MaxFallbackText, TruncatedMarker),
		Blocks:      CapBlocks(blocks),
		Attachments: []slack.Attachment{att},
	}
}

// slackDetails are the blocks inside the coloured attachment.
func slackDetails(f *facts, doc, region string, detail *failure.Detail) []slack.Block {
	n := f.n
	fields := make([]*slack.TextBlockObject, 0, maxFields)
	field := func(name, value string) {
		if value == "" || len(fields) == maxFields {
			return
		}
		fields = append(fields, mrkdwnText(FitMrkdwn("*"+name+"*\n"+value, maxFieldText, Ellipsis)))
	}
	field("Status", EscapeMrkdwnMax(f.status, 60, Ellipsis, true)+statusRawNote(n))
	field("Document", doc)
	field("Command ID", Code(n.CommandID, maxIDRunes))
	field("Kind", f.kind)
	if n.Kind == payload.KindInvocation {
		field("Instance", Code(n.InstanceID, maxIDRunes))
	}
	field("Requested", slackTime(n.RequestedDateTime))
	field("Event time", slackTime(n.EventTime))
	field("Region", region)
	field("Account", EscapeMrkdwnMax(n.Account, 40, Ellipsis, true))

	blocks := make([]slack.Block, 0, 4)
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	if n.Kind != payload.KindInvocation {
		blocks = append(blocks, MrkdwnSection(instanceList(n.InstanceIDs)))
	}
	if detail != nil {
		blocks = append(blocks, slackDetailBlocks(n, detail)...)
	}
	if links := slackLinks(f); links != "" {
		blocks = append(blocks, MrkdwnSection(links))
	} else {
		blocks = append(blocks, Context("No console link: the notification names no valid region."))
	}
	return CapBlocks(blocks)
}

// statusRawNote shows the status as it arrived when it is not one SNS normally sends.
func statusRawNote(n *payload.Notification) string {
	if !n.NonStandard || n.StatusRaw == "" {
		return ""
	}
	return " (non-standard: " + Code(n.StatusRaw, 60) + ")"
}

// instanceList is the "Instances" section text: the count, then the IDs capped with "+N more".
func instanceList(ids []string) string {
	if len(ids) == 0 {
		return "*Instances:* targeted by tags; the notification does not list them."
	}
	var b strings.Builder
	b.Grow(32 + 24*min(len(ids), maxInstancesListed))
	b.WriteString("*Instances (")
	b.WriteString(strconv.Itoa(len(ids)))
	b.WriteString("):* ")
	for i, id := range ids {
		if i == maxInstancesListed {
			b.WriteString(" … +")
			b.WriteString(strconv.Itoa(len(ids) - i))
			b.WriteString(" more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Code(id, maxIDRunes))
	}
	return b.String()
}

// slackLinks is the links line, or "" when there is no link to show.
func slackLinks(f *facts) string {
	var parts []string
	if f.links.Command != "" {
		parts = append(parts, Link(f.links.Command, "Run Command console"))
	}
	if f.links.Invocation != "" {
		parts = append(parts, Link(f.links.Invocation, "Invocation on "+f.n.InstanceID))
	}
	if f.links.Output != "" {
		parts = append(parts, Link(f.links.Output, "Output in S3"))
	}
	if len(parts) == 0 {
		return ""
	}
	return ":mag: " + strings.Join(parts, " · ")
}

// Link formats a Slack link. url must have been built by this package (escaped parts, a fixed
// https host); label is untrusted and escaped, and a "|" in it cannot end the URL early because
// the URL never contains one.
func Link(url, label string) string {
	return "<" + EscapeMrkdwn(url) + "|" + EscapeMrkdwnMax(label, 120, Ellipsis, true) + ">"
}

// mrkdwnText is a mrkdwn text object with verbatim set, so Slack does not turn plain "@channel",
// "#channel" or bare URLs in untrusted text into mentions and links.
func mrkdwnText(text string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: text, Verbatim: true}
}

// HeaderBlock is a header block showing raw (untrusted) text: escaped, on one line, and cut to
// Slack's 150 characters with an ellipsis.
func HeaderBlock(raw string) *slack.HeaderBlock {
	t := true
	return slack.NewHeaderBlock(&slack.TextBlockObject{
		Type:  slack.PlainTextType,
		Text:  EscapeMrkdwnMax(raw, maxHeaderText, Ellipsis, true),
		Emoji: &t,
	})
}

// MrkdwnSection is a section block showing mrkdwn text that is already escaped, cut to Slack's
// 3,000 characters with a visible marker.
func MrkdwnSection(mrkdwn string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwnText(FitMrkdwn(mrkdwn, MaxSectionText, TruncatedMarker)), nil, nil)
}

// Context is a context block of one mrkdwn element (already escaped), cut to the section limit.
func Context(mrkdwn string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwnText(FitMrkdwn(mrkdwn, MaxSectionText, TruncatedMarker)))
}

// CapBlocks keeps at most MaxBlocks blocks; when it has to drop some, the last block kept says
// how many were left out.
func CapBlocks(blocks []slack.Block) []slack.Block {
	if len(blocks) <= MaxBlocks {
		return blocks
	}
	out := append(blocks[:MaxBlocks-1:MaxBlocks-1], Context("… +"+strconv.Itoa(len(blocks)-MaxBlocks+1)+" more blocks not shown (Slack allows 50)."))
	return out
}
