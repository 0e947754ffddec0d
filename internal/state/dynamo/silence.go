package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// Silence items: the silence as JSON (its own schema, Alertmanager's), a version for
// compare-and-swap, when it first matched (kept apart so the router's one-time mark is a small
// update), and the TTL: the silence's end plus silence.Retention.
//
// Reads go through Query only (one item is a Query on its full key), so the silence CLI needs
// only dynamodb:PutItem, UpdateItem and Query on the SILENCE partition.
const (
	attrSilence = "sil"
	attrMatched = "matched" // epoch milliseconds
)

var _ silence.Store = (*Store)(nil)

// maxSilenceAttempts bounds a read-modify-write of one silence against concurrent writers.
const maxSilenceAttempts = 5

// Add implements silence.Store with one PutItem that refuses to overwrite.
func (s *Store) Add(ctx context.Context, sl silence.Silence, now time.Time) (silence.Silence, error) {
	if sl.ReadOnly() {
		return silence.Silence{}, silence.ErrReadOnly
	}
	if err := sl.Validate(); err != nil {
		return silence.Silence{}, err
	}
	sl.ID, sl.Created, sl.Updated, sl.Matched = silence.NewID(), now, now, time.Time{}
	if err := s.putSilence(ctx, sl, 0); err != nil {
		return silence.Silence{}, fmt.Errorf("add silence: %w", err)
	}
	return sl, nil
}

// Edit implements silence.Store.
func (s *Store) Edit(ctx context.Context, sl silence.Silence, now time.Time) (silence.Silence, error) {
	if err := sl.Validate(); err != nil {
		return silence.Silence{}, err
	}
	for range maxSilenceAttempts {
		old, ver, err := s.silence(ctx, sl.ID, now)
		if err != nil {
			return silence.Silence{}, err
		}
		if old.StateAt(now) == silence.Expired {
			return silence.Silence{}, &silence.Error{Arg: sl.ID, Reason: "expired; add a new silence instead"}
		}
		if !old.Matchers.Equal(sl.Matchers) || !old.Starts.Equal(sl.Starts) {
			// Alertmanager's rule: a different selection is a different silence.
			if _, err := s.Expire(ctx, old.ID, now); err != nil {
				return silence.Silence{}, err
			}
			return s.Add(ctx, sl, now)
		}
		old.Ends, old.Comment, old.Author, old.Updated = sl.Ends, sl.Comment, sl.Author, now
		err = s.putSilence(ctx, old, ver)
		if isConditionFailed(err) {
			continue
		}
		if err != nil {
			return silence.Silence{}, fmt.Errorf("edit silence %s: %w", sl.ID, err)
		}
		return old, nil
	}
	return silence.Silence{}, state.Unavailable(fmt.Errorf("edit silence %s: kept changing", sl.ID))
}

// Expire implements silence.Store: read, end, compare-and-swap on the version.
func (s *Store) Expire(ctx context.Context, id string, now time.Time) (silence.Silence, error) {
	for range maxSilenceAttempts {
		sl, ver, err := s.silence(ctx, id, now)
		if err != nil {
			return silence.Silence{}, err
		}
		if !sl.Expire(now) {
			return sl, nil
		}
		err = s.putSilence(ctx, sl, ver)
		if isConditionFailed(err) {
			continue
		}
		if err != nil {
			return silence.Silence{}, fmt.Errorf("expire silence %s: %w", id, err)
		}
		return sl, nil
	}
	return silence.Silence{}, state.Unavailable(fmt.Errorf("expire silence %s: kept changing", id))
}

// MarkMatched implements silence.Store: one UpdateItem that only sets the mark when there is none.
func (s *Store) MarkMatched(ctx context.Context, id string, now time.Time) error {
	e := newExpr()
	update := fmt.Sprintf("SET %s = %s ADD %s %s", e.name(attrMatched), e.value(num(now.UnixMilli())), e.name(attrVersion), e.value(num(1)))
	cond := fmt.Sprintf("attribute_exists(%s) AND attribute_not_exists(%s)", e.name(state.PartitionKey), e.name(attrMatched))
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: itemKey(state.SilencePK, state.SilenceSK(id)),
		UpdateExpression: &update, ConditionExpression: &cond,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
	})
	if err == nil || isConditionFailed(err) {
		return nil // marked now, or already (or gone): the mark is a once-only fact
	}
	return wrap("mark silence "+id+" matched", err)
}

// Silences implements silence.Store: one Query of the silence partition (paged), dropping items
// whose TTL has passed.
func (s *Store) Silences(ctx context.Context, now time.Time) ([]silence.Silence, error) {
	var out []silence.Silence
	err := s.querySilences(ctx, "", now, func(sl silence.Silence, _ int64) { out = append(out, sl) })
	if err != nil {
		return nil, err
	}
	silence.Sort(out)
	return out, nil
}

// silence reads one silence and its version with a Query on its full key.
func (s *Store) silence(ctx context.Context, id string, now time.Time) (silence.Silence, int64, error) {
	var (
		found bool
		sl    silence.Silence
		ver   int64
	)
	err := s.querySilences(ctx, id, now, func(got silence.Silence, v int64) { found, sl, ver = true, got, v })
	if err != nil {
		return silence.Silence{}, 0, err
	}
	if !found {
		return silence.Silence{}, 0, fmt.Errorf("silence %s: %w", id, silence.ErrNotFound)
	}
	return sl, ver, nil
}

func (s *Store) querySilences(ctx context.Context, id string, now time.Time, fn func(silence.Silence, int64)) error {
	e := newExpr()
	keyCond := e.name(state.PartitionKey) + " = " + e.value(str(state.SilencePK))
	if id != "" {
		keyCond += " AND " + e.name(state.SortKey) + " = " + e.value(str(state.SilenceSK(id)))
	}
	filter := e.name(state.TTLAttribute) + " > " + e.value(num(now.Unix()))
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: &keyCond, FilterExpression: &filter,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values, ConsistentRead: aws.Bool(true),
	}
	for {
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return wrap("read silences", err)
		}
		for _, item := range out.Items {
			var sl silence.Silence
			if err := json.Unmarshal([]byte(getS(item, attrSilence)), &sl); err != nil {
				// One unreadable item must not hide every other silence.
				continue
			}
			if m := getN(item, attrMatched); m > 0 {
				sl.Matched = time.UnixMilli(m).UTC()
			}
			fn(sl, getN(item, attrVersion))
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// putSilence writes sl if the stored version is still ver (0: none stored).
func (s *Store) putSilence(ctx context.Context, sl silence.Silence, ver int64) error {
	matched := sl.Matched
	sl.Matched = time.Time{}
	body, err := json.Marshal(sl)
	if err != nil {
		return err
	}
	item := itemKey(state.SilencePK, state.SilenceSK(sl.ID))
	item[attrSilence] = str(string(body))
	item[attrVersion] = num(ver + 1)
	item[state.TTLAttribute] = num(state.TTL(sl.TTL()))
	if !matched.IsZero() {
		item[attrMatched] = num(matched.UnixMilli())
	}
	e := newExpr()
	var cond string
	if ver > 0 {
		cond = e.name(attrVersion) + " = " + e.value(num(ver))
	} else {
		cond = "attribute_not_exists(" + e.name(state.PartitionKey) + ")"
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: &cond, ExpressionAttributeNames: e.names}
	if len(e.values) > 0 {
		in.ExpressionAttributeValues = e.values
	}
	_, err = s.api.PutItem(ctx, in)
	if err != nil && !isConditionFailed(err) {
		return wrap("put silence "+sl.ID, err)
	}
	return err
}
