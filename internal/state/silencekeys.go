package state

// Ad-hoc silences (internal/silence) live in one partition of the state table, so the router's
// cache and `ssmnotify silence query` read them all with one Query, and an IAM policy can grant
// the silence CLI exactly this partition (dynamodb:LeadingKeys).
const (
	// SilencePK is the partition key of every silence item.
	SilencePK = "SILENCE"
	// SilencePrefix starts a silence item's sort key; the silence ID follows.
	SilencePrefix = "SIL#"
)

// SilenceSK is the sort key of the silence id.
func SilenceSK(id string) string { return SilencePrefix + id }
