// Package state holds the router's and digest's durable state: delivery claims, the ordering
// guard, per-command roll-ups and the failure index. This file is the table schema, shared by
// the DynamoDB implementation and the CDK app so that names have one truth.
package state

// One table holds every item (single-table design). Items are told apart by key prefixes.
const (
	// PartitionKey and SortKey are the table's key attributes (both strings).
	PartitionKey = "pk"
	SortKey      = "sk"

	// TTLAttribute is the table's time-to-live attribute: epoch seconds after which DynamoDB may
	// delete the item. Reads treat an item whose TTL has passed as absent, because DynamoDB
	// deletes expired items days late (and local emulators never do).
	TTLAttribute = "expires_at"

	// TimeIndex is the global secondary index the digest queries: time-bucketed partition keys
	// (TimeIndexPartitionKey) and a time-ordered sort key (TimeIndexSortKey), both strings.
	TimeIndex             = "by_time"
	TimeIndexPartitionKey = "gsi1pk"
	TimeIndexSortKey      = "gsi1sk"
)
