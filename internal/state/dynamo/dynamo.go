// Package dynamo is the DynamoDB state.Store: one table (schema in internal/state), every write a
// single conditional request, every read a GetItem or a Query (never a Scan), and items whose TTL
// has passed treated as absent. It uses neither transactions nor
// ReturnValuesOnConditionCheckFailure, so it runs the same on AWS, DynamoDB Local and dynalite.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// API is the part of the DynamoDB client the store uses, with the SDK's own signatures.
// *dynamodb.Client implements it; so does Counter.
type API interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, params *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, params *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Attribute names besides the schema's keys. Short, because every item carries them; always used
// through expression attribute names, because DynamoDB reserves many words (STATUS, STATE, TS…).
const (
	attrDocument   = "doc"
	attrStatus     = "st"
	attrTerminal   = "term"
	attrEventTime  = "et"  // epoch nanoseconds
	attrRequested  = "req" // epoch nanoseconds
	attrRegion     = "region"
	attrAccount    = "acct"
	attrTargets    = "ntargets"
	attrPhase      = "phase"
	attrToken      = "token"
	attrLease      = "lease" // epoch milliseconds
	attrTS         = "ts"
	attrHolder     = "holder"
	attrHeldUntil  = "held"        // epoch milliseconds
	attrRendered   = "rendered"    // opaque
	attrRenderedAt = "rendered_at" // epoch milliseconds
	attrVersion    = "ver"

	phasePending = "pending"
	phaseDone    = "done"
)

// maxClaimAttempts bounds Claim's write-then-read loop: a conditional write can fail against a
// claim that is gone by the time it is read (released or expired between the two requests).
const maxClaimAttempts = 3

// Store is the DynamoDB state.Store. It is safe for concurrent use.
type Store struct {
	api   API
	table string
}

var _ state.Store = (*Store)(nil)

// New returns a store on table through api.
func New(api API, table string) *Store {
	return &Store{api: api, table: table}
}

// Observe implements state.Guard with one conditional UpdateItem: the condition encodes
// state.Judge, and the old item (ReturnValues ALL_OLD) tells a duplicate from a fresh status.
func (s *Store) Observe(ctx context.Context, n *payload.Notification, now time.Time) (state.Observed, error) {
	in, err := state.TimelineOf(n)
	if err != nil {
		return state.Observed{}, fmt.Errorf("observe: %w", err)
	}
	e := newExpr()
	terminal := in.Status.Terminal()
	nowS, et, st := e.value(num(now.Unix())), e.value(num(in.EventTime.UnixNano())), e.value(str(string(in.Status)))
	pk, exp, etN, stN, termN := e.name(state.PartitionKey), e.name(state.TTLAttribute), e.name(attrEventTime), e.name(attrStatus), e.name(attrTerminal)
	no := e.value(&types.AttributeValueMemberBOOL{Value: false})
	absent := fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s", pk, exp, nowS)
	later := fmt.Sprintf("%s < %s OR (%s = %s AND %s <= %s)", etN, et, etN, et, stN, st)
	var cond string
	if terminal {
		// Any terminal status is later than a non-terminal one.
		cond = fmt.Sprintf("%s OR %s = %s OR %s", absent, termN, no, later)
	} else {
		cond = fmt.Sprintf("%s OR (%s = %s AND (%s))", absent, termN, no, later)
	}
	set := []string{
		stN + " = " + st,
		termN + " = " + e.value(&types.AttributeValueMemberBOOL{Value: terminal}),
		etN + " = " + et,
		exp + " = " + e.value(num(state.TTL(now.Add(state.DefaultRetention)))),
	}
	// A field the notification lacks keeps what was stored (an SQS raw message has no region).
	optional := []struct{ attr, v string }{{attrDocument, n.DocumentName}, {attrRegion, n.Region}, {attrAccount, n.Account}}
	for _, o := range optional {
		if o.v != "" {
			set = append(set, e.name(o.attr)+" = "+e.value(str(o.v)))
		}
	}
	if !n.RequestedDateTime.IsZero() {
		set = append(set, e.name(attrRequested)+" = "+e.value(num(n.RequestedDateTime.UnixNano())))
	}
	if n.Kind == payload.KindCommand {
		set = append(set, e.name(attrTargets)+" = "+e.value(num(int64(len(n.InstanceIDs)))))
	}
	update := "SET "
	gpk, gsk := e.name(state.TimeIndexPartitionKey), e.name(state.TimeIndexSortKey)
	if in.Status.Failure() {
		// The timeline item is its own failure index entry: indexed in the same write, so the
		// index can never miss a failure the guard accepted, nor hold one it refused.
		set = append(set, gpk+" = "+e.value(str(state.FailureBucket(in.EventTime))),
			gsk+" = "+e.value(str(state.FailureSortKey(in.EventTime, in.CommandID, in.Target))))
		update += strings.Join(set, ", ")
	} else {
		update += strings.Join(set, ", ") + " REMOVE " + gpk + ", " + gsk
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       itemKey(state.CommandPK(in.CommandID), state.TimelineSK(in.Target)),
		UpdateExpression:          &update,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
		ReturnValues:              types.ReturnValueAllOld,
	})
	if isConditionFailed(err) {
		return state.Observed{Verdict: state.Stale}, nil
	}
	if err != nil {
		return state.Observed{}, wrap(fmt.Sprintf("observe %s/%s", in.CommandID, in.Target), err)
	}
	var prev *state.Timeline
	if len(out.Attributes) > 0 && !expired(out.Attributes, now) {
		p := timelineOf(in.CommandID, in.Target, out.Attributes)
		prev = &p
	}
	return state.Observed{Verdict: state.Judge(prev, in), Previous: prev}, nil
}

// Claim implements state.Claims: one conditional PutItem on the happy path; a lost claim reads
// the holder's item to tell "in progress" from "done".
func (s *Store) Claim(ctx context.Context, key state.ClaimKey, now, leaseUntil time.Time) (state.Claim, error) {
	if err := state.CheckClaim(key, now, leaseUntil); err != nil {
		return state.Claim{}, err
	}
	pk := state.ClaimPrefix + key.String()
	op := "claim " + key.String()
	for range maxClaimAttempts {
		token := state.NewToken()
		e := newExpr()
		cond := fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s OR (%s = %s AND %s <= %s)",
			e.name(state.PartitionKey), e.name(state.TTLAttribute), e.value(num(now.Unix())),
			e.name(attrPhase), e.value(str(phasePending)), e.name(attrLease), e.value(num(now.UnixMilli())))
		item := itemKey(pk, state.ClaimSortKey)
		item[attrPhase] = str(phasePending)
		item[attrToken] = str(token)
		item[attrLease] = num(leaseUntil.UnixMilli())
		// An abandoned claim is taken over when its lease ends; the TTL only clears it away.
		item[state.TTLAttribute] = num(state.TTL(laterOf(now, leaseUntil).Add(state.DefaultDedupWindow)))
		_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &s.table, Item: item, ConditionExpression: &cond,
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
		})
		if err == nil {
			return state.Claim{Key: key, Outcome: state.ClaimWon, Token: token, LeaseUntil: time.UnixMilli(leaseUntil.UnixMilli()).UTC()}, nil
		}
		if !isConditionFailed(err) {
			return state.Claim{}, wrap(op, err)
		}
		got, err := s.get(ctx, pk, state.ClaimSortKey)
		if err != nil {
			return state.Claim{}, wrap(op, err)
		}
		if got == nil || expired(got, now) {
			continue // released or expired in between: try again
		}
		if getS(got, attrPhase) == phaseDone {
			return state.Claim{Key: key, Outcome: state.ClaimDone}, nil
		}
		if lease := getN(got, attrLease); lease > now.UnixMilli() {
			return state.Claim{Key: key, Outcome: state.ClaimInProgress, LeaseUntil: time.UnixMilli(lease).UTC()}, nil
		}
	}
	return state.Claim{}, fmt.Errorf("%s: %w", op, state.Contended(fmt.Errorf("claim kept changing for %d attempts", maxClaimAttempts)))
}

// Complete implements state.Claims.
func (s *Store) Complete(ctx context.Context, c state.Claim, now time.Time) error {
	e := newExpr()
	cond := fmt.Sprintf("%s = %s AND %s > %s", e.name(attrToken), e.value(str(c.Token)), e.name(state.TTLAttribute), e.value(num(now.Unix())))
	update := fmt.Sprintf("SET %s = %s, %s = %s REMOVE %s", e.name(attrPhase), e.value(str(phaseDone)),
		e.name(state.TTLAttribute), e.value(num(state.TTL(now.Add(state.DefaultDedupWindow)))), e.name(attrLease))
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: itemKey(state.ClaimPrefix+c.Key.String(), state.ClaimSortKey),
		UpdateExpression: &update, ConditionExpression: &cond,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
	})
	if isConditionFailed(err) {
		return fmt.Errorf("complete %s: %w", c.Key, state.ErrNotHeld)
	}
	return wrap("complete "+c.Key.String(), err)
}

// Release implements state.Claims.
func (s *Store) Release(ctx context.Context, c state.Claim, now time.Time) error {
	e := newExpr()
	cond := fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s OR (%s = %s AND %s = %s)",
		e.name(state.PartitionKey), e.name(state.TTLAttribute), e.value(num(now.Unix())),
		e.name(attrToken), e.value(str(c.Token)), e.name(attrPhase), e.value(str(phasePending)))
	_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: itemKey(state.ClaimPrefix+c.Key.String(), state.ClaimSortKey),
		ConditionExpression: &cond, ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
	})
	if isConditionFailed(err) {
		return fmt.Errorf("release %s: %w", c.Key, state.ErrNotHeld)
	}
	return wrap("release "+c.Key.String(), err)
}

// Rollup implements state.Rollups with a strongly consistent Query of the command's partition
// (about 150 bytes per instance: a 1,000-instance command is one page).
func (s *Store) Rollup(ctx context.Context, commandID string, now time.Time) (state.Rollup, error) {
	var b state.RollupBuilder
	b.Start(commandID)
	e := newExpr()
	keyCond := e.name(state.PartitionKey) + " = " + e.value(str(state.CommandPK(commandID)))
	filter := e.name(state.TTLAttribute) + " > " + e.value(num(now.Unix()))
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: &keyCond, FilterExpression: &filter,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values, ConsistentRead: aws.Bool(true),
	}
	for {
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return state.Rollup{}, wrap("rollup "+commandID, err)
		}
		for _, item := range out.Items {
			switch sk := getS(item, state.SortKey); {
			case sk == state.CommandSortKey:
				b.AddTimeline(timelineOf(commandID, "", item), getS(item, attrDocument), nanos(item, attrRequested), int(getN(item, attrTargets)))
			case strings.HasPrefix(sk, state.InvocationPrefix):
				target := strings.TrimPrefix(sk, state.InvocationPrefix)
				b.AddTimeline(timelineOf(commandID, target, item), getS(item, attrDocument), nanos(item, attrRequested), 0)
			case strings.HasPrefix(sk, state.MessagePrefix):
				b.AddMessage(messageOf(state.MessageKey{CommandID: commandID, Channel: strings.TrimPrefix(sk, state.MessagePrefix)}, item))
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return b.Finish(), nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Failures implements state.FailureIndex: for each hour bucket of the window, a Query on the time
// index whose key condition bounds the sort key to the window, so no item outside it is read; a
// filter drops the items whose TTL has passed (DynamoDB deletes them late).
func (s *Store) Failures(ctx context.Context, from, to, now time.Time, fn func(state.Failure) error) (state.ReadStats, error) {
	var stats state.ReadStats
	if !from.Before(to) {
		return stats, nil
	}
	e := newExpr()
	bucket := e.value(str(""))
	keyCond := fmt.Sprintf("%s = %s AND %s BETWEEN %s AND %s", e.name(state.TimeIndexPartitionKey), bucket,
		e.name(state.TimeIndexSortKey), e.value(str(state.SortTime(from))),
		// Sort keys are "<fixed-width time>#<command>#<target>": every key at or before the
		// window's last instant sorts below that instant followed by '$' ('#' < '$').
		e.value(str(state.SortTime(to.Add(-time.Nanosecond))+"$")))
	filter := e.name(state.TTLAttribute) + " > " + e.value(num(now.Unix()))
	last := to.Add(-time.Nanosecond).UTC().Truncate(state.FailureBucketWidth)
	for h := from.UTC().Truncate(state.FailureBucketWidth); !h.After(last); h = h.Add(state.FailureBucketWidth) {
		values := cloneValues(e.values)
		values[bucket] = str(state.FailureBucket(h))
		in := &dynamodb.QueryInput{
			TableName: &s.table, IndexName: aws.String(state.TimeIndex),
			KeyConditionExpression: &keyCond, FilterExpression: &filter,
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: values,
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		}
		for {
			out, err := s.api.Query(ctx, in)
			if err != nil {
				return stats, wrap("read failures in "+state.FailureBucket(h), err)
			}
			stats.Requests++
			stats.Scanned += int(out.ScannedCount)
			if out.ConsumedCapacity != nil && out.ConsumedCapacity.CapacityUnits != nil {
				stats.CapacityUnits += *out.ConsumedCapacity.CapacityUnits
			}
			for _, item := range out.Items {
				stats.Returned++
				if err := fn(failureOf(item)); err != nil {
					return stats, err
				}
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return stats, nil
}

// Message implements state.MessageRefs.
func (s *Store) Message(ctx context.Context, key state.MessageKey, now time.Time) (state.Message, error) {
	item, err := s.get(ctx, state.CommandPK(key.CommandID), state.MessagePrefix+key.Channel)
	if err != nil {
		return state.Message{}, wrap(fmt.Sprintf("message %s/%s", key.CommandID, key.Channel), err)
	}
	if item == nil || expired(item, now) {
		return state.Message{Key: key}, nil
	}
	return messageOf(key, item), nil
}

// PutMessage implements state.MessageRefs with one PutItem conditioned on the version.
func (s *Store) PutMessage(ctx context.Context, m state.Message, now time.Time) (state.Message, bool, error) {
	if m.Key.CommandID == "" || m.Key.Channel == "" {
		return state.Message{}, false, fmt.Errorf("put message: %w: command ID and channel are required", state.ErrInvalid)
	}
	e := newExpr()
	var cond string
	if m.Version == 0 {
		cond = fmt.Sprintf("attribute_not_exists(%s) OR %s <= %s", e.name(state.PartitionKey), e.name(state.TTLAttribute), e.value(num(now.Unix())))
	} else {
		cond = fmt.Sprintf("%s = %s AND %s > %s", e.name(attrVersion), e.value(num(m.Version)), e.name(state.TTLAttribute), e.value(num(now.Unix())))
	}
	stored := m
	stored.Version++
	stored.HeldUntil = milli(m.HeldUntil)
	stored.RenderedAt = milli(m.RenderedAt)
	item := itemKey(state.CommandPK(m.Key.CommandID), state.MessagePrefix+m.Key.Channel)
	item[attrVersion] = num(stored.Version)
	item[state.TTLAttribute] = num(state.TTL(now.Add(state.DefaultRetention)))
	for attr, v := range map[string]string{attrTS: m.TS, attrHolder: m.Holder, attrRendered: m.Rendered} {
		if v != "" {
			item[attr] = str(v)
		}
	}
	if !m.HeldUntil.IsZero() {
		item[attrHeldUntil] = num(m.HeldUntil.UnixMilli())
	}
	if !m.RenderedAt.IsZero() {
		item[attrRenderedAt] = num(m.RenderedAt.UnixMilli())
	}
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: &cond,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
	})
	if isConditionFailed(err) {
		return state.Message{}, false, nil
	}
	if err != nil {
		return state.Message{}, false, wrap(fmt.Sprintf("put message %s/%s", m.Key.CommandID, m.Key.Channel), err)
	}
	return stored, true, nil
}

// get reads one item with a strongly consistent GetItem; nil when there is none.
func (s *Store) get(ctx context.Context, pk, sk string) (map[string]types.AttributeValue, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: itemKey(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// isConditionFailed reports whether err is a failed condition: an outcome, not an error.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// retryableCodes are the error codes that mean "try again later" once the SDK's own bounded
// retries are spent. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
var retryableCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"InternalServerError":                    true,
	"ServiceUnavailable":                     true,
	"LimitExceededException":                 true,
	"TransactionConflictException":           true,
}

var sdkRetryables = retry.IsErrorRetryables(retry.DefaultRetryables)

// wrap names the operation and classifies the error (a failed condition never gets here: it is
// an outcome). Throttling, 5xx and network errors, once the SDK's bounded retries are spent, are
// state.ErrUnavailable; the end of the invocation's context stays a plain retryable error; any
// other refusal — the table missing, access denied, a malformed request — is state.ErrRefused.
// All but the context's end are infrastructure faults: the record is retried and counted, never
// parked as bad input.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	switch {
	case (errors.As(err, &apiErr) && retryableCodes[apiErr.ErrorCode()]) || sdkRetryables.IsErrorRetryable(err) == aws.TrueTernary:
		return fmt.Errorf("%s: %w", op, state.Unavailable(err))
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w", op, state.Refused(err))
}

// expr collects expression attribute names and values as placeholders.
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// name returns the placeholder of attribute a.
func (e *expr) name(a string) string {
	for k, v := range e.names {
		if v == a {
			return k
		}
	}
	k := "#n" + strconv.Itoa(len(e.names))
	e.names[k] = a
	return k
}

// value returns a placeholder for v.
func (e *expr) value(v types.AttributeValue) string {
	k := ":v" + strconv.Itoa(len(e.values))
	e.values[k] = v
	return k
}

func cloneValues(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	c := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{state.PartitionKey: str(pk), state.SortKey: str(sk)}
}

func getS(item map[string]types.AttributeValue, attr string) string {
	if v, ok := item[attr].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, attr string) int64 {
	if v, ok := item[attr].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// nanos reads an epoch-nanoseconds attribute; the zero time when it is missing.
func nanos(item map[string]types.AttributeValue, attr string) time.Time {
	if _, ok := item[attr]; !ok {
		return time.Time{}
	}
	return time.Unix(0, getN(item, attr)).UTC()
}

// millis reads an epoch-milliseconds attribute; the zero time when it is missing.
func millis(item map[string]types.AttributeValue, attr string) time.Time {
	if _, ok := item[attr]; !ok {
		return time.Time{}
	}
	return time.UnixMilli(getN(item, attr)).UTC()
}

func milli(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func expired(item map[string]types.AttributeValue, now time.Time) bool {
	_, ok := item[state.TTLAttribute]
	return ok && state.Expired(getN(item, state.TTLAttribute), now)
}

func timelineOf(commandID, target string, item map[string]types.AttributeValue) state.Timeline {
	return state.Timeline{CommandID: commandID, Target: target, Status: payload.Status(getS(item, attrStatus)), EventTime: nanos(item, attrEventTime)}
}

func messageOf(key state.MessageKey, item map[string]types.AttributeValue) state.Message {
	return state.Message{
		Key: key, TS: getS(item, attrTS), Holder: getS(item, attrHolder), HeldUntil: millis(item, attrHeldUntil),
		Rendered: getS(item, attrRendered), RenderedAt: millis(item, attrRenderedAt), Version: getN(item, attrVersion),
	}
}

// failureOf decodes a failure index entry (a timeline item, as projected into the time index).
func failureOf(item map[string]types.AttributeValue) state.Failure {
	target := ""
	if sk := getS(item, state.SortKey); strings.HasPrefix(sk, state.InvocationPrefix) {
		target = strings.TrimPrefix(sk, state.InvocationPrefix)
	}
	return state.Failure{
		CommandID:    strings.TrimPrefix(getS(item, state.PartitionKey), state.CommandPrefix),
		DocumentName: getS(item, attrDocument),
		InstanceID:   target,
		Status:       payload.Status(getS(item, attrStatus)),
		EventTime:    nanos(item, attrEventTime),
		Region:       getS(item, attrRegion),
		Account:      getS(item, attrAccount),
	}
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
