package slacktest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Limits that Slack enforces and that Check applies. See
// https://docs.slack.dev/reference/block-kit/blocks and
// https://docs.slack.dev/reference/methods/chat.postMessage.
const (
	MaxBlocks          = 50
	MaxHeaderText      = 150
	MaxSectionText     = 3000
	MaxSectionFields   = 10
	MaxFieldText       = 2000
	MaxContextElements = 10
	MaxBlockID         = 255
	MaxMessageText     = 40000
	MaxAttachments     = 100
)

// Problem is why Slack would reject a message: Slack's error code (invalid_blocks, no_text, …)
// and the detail Slack lists in its "errors" array.
type Problem struct {
	Code   string
	Detail string
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// Check validates a message the way Slack's chat.postMessage, chat.update and incoming webhooks
// do: text or blocks or attachments required, at most 50 blocks, header text at most 150
// characters, section text at most 3,000, fields at most 10 of 2,000, text at most 40,000. blocks
// and attachments are the raw JSON arrays (nil or empty when absent). It returns nil for a valid
// message.
func Check(text string, blocks, attachments []byte) *Problem {
	var bl []map[string]any
	if len(blocks) > 0 {
		if err := json.Unmarshal(blocks, &bl); err != nil {
			return &Problem{"invalid_blocks_format", "blocks is not a JSON array of objects"}
		}
	}
	var at []map[string]any
	if len(attachments) > 0 {
		if err := json.Unmarshal(attachments, &at); err != nil {
			return &Problem{"invalid_attachments", "attachments is not a JSON array of objects"}
		}
	}
	if text == "" && len(bl) == 0 && len(at) == 0 {
		return &Problem{"no_text", "text, blocks or attachments is required"}
	}
	if utf8.RuneCountInString(text) > MaxMessageText {
		return &Problem{"msg_too_long", fmt.Sprintf("text is longer than %d characters", MaxMessageText)}
	}
	if detail := checkBlocks(bl, "/blocks"); detail != "" {
		return &Problem{"invalid_blocks", detail}
	}
	if len(at) > MaxAttachments {
		return &Problem{"too_many_attachments", fmt.Sprintf("more than %d attachments", MaxAttachments)}
	}
	for i, a := range at {
		raw, ok := a["blocks"]
		if !ok {
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return &Problem{"invalid_attachments", fmt.Sprintf("blocks is not an array [json-pointer:/attachments/%d/blocks]", i)}
		}
		objs := make([]map[string]any, 0, len(list))
		for _, b := range list {
			o, ok := b.(map[string]any)
			if !ok {
				return &Problem{"invalid_attachments", fmt.Sprintf("block is not an object [json-pointer:/attachments/%d/blocks]", i)}
			}
			objs = append(objs, o)
		}
		if detail := checkBlocks(objs, fmt.Sprintf("/attachments/%d/blocks", i)); detail != "" {
			return &Problem{"invalid_attachments", detail}
		}
	}
	return nil
}

func checkBlocks(blocks []map[string]any, at string) string {
	if len(blocks) > MaxBlocks {
		return fmt.Sprintf("no more than %d items allowed [json-pointer:%s]", MaxBlocks, at)
	}
	for i, b := range blocks {
		p := fmt.Sprintf("%s/%d", at, i)
		if id, _ := b["block_id"].(string); utf8.RuneCountInString(id) > MaxBlockID {
			return fmt.Sprintf("must be less than %d characters [json-pointer:%s/block_id]", MaxBlockID+1, p)
		}
		switch typ, _ := b["type"].(string); typ {
		case "header":
			if d := checkText(b["text"], p+"/text", MaxHeaderText, true, true); d != "" {
				return d
			}
		case "section":
			_, hasText := b["text"]
			fields, hasFields := b["fields"].([]any)
			if !hasText && !hasFields {
				return fmt.Sprintf("must provide text or fields [json-pointer:%s]", p)
			}
			if hasText {
				if d := checkText(b["text"], p+"/text", MaxSectionText, false, true); d != "" {
					return d
				}
			}
			if len(fields) > MaxSectionFields {
				return fmt.Sprintf("no more than %d items allowed [json-pointer:%s/fields]", MaxSectionFields, p)
			}
			for j, f := range fields {
				if d := checkText(f, fmt.Sprintf("%s/fields/%d", p, j), MaxFieldText, false, true); d != "" {
					return d
				}
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > MaxContextElements {
				return fmt.Sprintf("must have between 1 and %d elements [json-pointer:%s/elements]", MaxContextElements, p)
			}
			for j, e := range els {
				o, _ := e.(map[string]any)
				if t, _ := o["type"].(string); t == "mrkdwn" || t == "plain_text" {
					if d := checkText(e, fmt.Sprintf("%s/elements/%d", p, j), MaxSectionText, false, true); d != "" {
						return d
					}
				}
			}
		case "divider", "actions", "image", "rich_text", "markdown", "file", "input", "video", "table":
			// Accepted as they come; the project does not send them with untrusted text.
		case "":
			return fmt.Sprintf("missing required field: type [json-pointer:%s]", p)
		default:
			return fmt.Sprintf("unsupported type: %s [json-pointer:%s/type]", typ, p)
		}
	}
	return ""
}

func checkText(v any, at string, max int, plainOnly, required bool) string {
	o, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprintf("must be a text object [json-pointer:%s]", at)
	}
	typ, _ := o["type"].(string)
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	default:
		return fmt.Sprintf("must be a valid enum value [json-pointer:%s/type]", at)
	}
	s, _ := o["text"].(string)
	if required && s == "" {
		return fmt.Sprintf("must be more than 0 characters [json-pointer:%s/text]", at)
	}
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("must be less than %d characters [json-pointer:%s/text]", max+1, at)
	}
	return ""
}
