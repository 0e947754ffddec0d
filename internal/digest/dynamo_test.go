package digest_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/ssmnotify/ssmnotify/internal/deliver"
	"github.com/ssmnotify/ssmnotify/internal/digest"
	"github.com/ssmnotify/ssmnotify/internal/digest/tally"
	"github.com/ssmnotify/ssmnotify/internal/notify/email"
	"github.com/ssmnotify/ssmnotify/internal/notify/slack"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

var failureStatuses = []payload.Status{
	payload.StatusFailed, payload.StatusFailed, payload.StatusFailed, payload.StatusTimedOut, payload.StatusCancelled,
	payload.StatusExecutionTimedOut, payload.StatusUndeliverable,
}

// generate makes count failure notifications spread over span before end: commands of up to
// four instances each (one in ten reported as a command summary instead), over a few documents
// and a few hundred instances. Every (command, target) is distinct, so each is one failure
// index entry.
func generate(count int, end time.Time, span time.Duration, seed uint64) []*payload.Notification {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]*payload.Notification, 0, count)
	for cmd := 0; len(out) < count; cmd++ {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012d", seed, cmd)
		doc := fmt.Sprintf("Doc-%02d", rng.IntN(15))
		t0 := end.Add(-time.Duration(rng.Int64N(int64(span))))
		region := []string{"eu-west-1", "us-east-1", "ap-southeast-2"}[rng.IntN(3)]
		if rng.IntN(10) == 0 {
			n := statetest.Summary(id, failureStatuses[rng.IntN(len(failureStatuses))], t0.Add(time.Minute), "i-x")
			n.DocumentName, n.Region = doc, region
			out = append(out, n)
			continue
		}
		for k := range 1 + rng.IntN(4) {
			if len(out) == count {
				break
			}
			inst := fmt.Sprintf("i-%03d%d", rng.IntN(300), k) // distinct within the command
			at := t0.Add(time.Duration(rng.IntN(600)) * time.Second)
			if at.After(end) || !at.Before(end) {
				at = end.Add(-time.Second)
			}
			n := statetest.Invocation(id, inst, failureStatuses[rng.IntN(len(failureStatuses))], at)
			n.DocumentName, n.Region = doc, region
			out = append(out, n)
		}
	}
	return out
}

// seed writes ns with a few concurrent writers, each with now = its event time (so its TTL is
// the event time plus the retention).
func seed(tb testing.TB, s state.Guard, ns []*payload.Notification) {
	tb.Helper()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ns); i += workers {
				if _, err := s.Observe(tb.Context(), ns[i], ns[i].EventTime); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// brute is the digest computed the obvious way, from the list the test wrote.
type brute struct {
	inWindow, total int // every item in the window; those not expired
	byStatus        map[string]int
	docs            map[string]int
	instances       map[string]int
	commandLevel    int
	commands        map[string]*tally.Command
}

func bruteForce(ns []*payload.Notification, from, to, now time.Time, retention time.Duration) brute {
	b := brute{byStatus: map[string]int{}, docs: map[string]int{}, instances: map[string]int{}, commands: map[string]*tally.Command{}}
	for _, n := range ns {
		if n.EventTime.Before(from) || !n.EventTime.Before(to) {
			continue
		}
		b.inWindow++
		if state.Expired(state.TTL(n.EventTime.Add(retention)), now) {
			continue
		}
		b.total++
		b.byStatus[string(n.Status)]++
		b.docs[n.DocumentName]++
		if n.Kind == payload.KindCommand {
			b.commandLevel++
		} else {
			b.instances[n.InstanceID]++
		}
		c := b.commands[n.CommandID]
		if c == nil {
			c = &tally.Command{CommandID: n.CommandID, First: n.EventTime}
			b.commands[n.CommandID] = c
		}
		c.Failures++
		if n.EventTime.Before(c.First) {
			c.First = n.EventTime
		}
	}
	return b
}

// checkSummary compares a digest's summary with the brute-force count.
func checkSummary(t *testing.T, s *tally.Summary, b brute) {
	t.Helper()
	if s.Total != b.total || s.CommandLevel != b.commandLevel {
		t.Fatalf("total %d, command-level %d; brute force %d, %d", s.Total, s.CommandLevel, b.total, b.commandLevel)
	}
	for _, c := range s.ByStatus {
		if b.byStatus[c.Name] != c.Count {
			t.Errorf("status %s: %d, brute force %d", c.Name, c.Count, b.byStatus[c.Name])
		}
	}
	if len(s.ByStatus) != len(b.byStatus) {
		t.Errorf("%d statuses, brute force %d", len(s.ByStatus), len(b.byStatus))
	}
	checkTable := func(what string, tb tally.Table, want map[string]int) {
		if tb.Distinct != len(want) || tb.Uncounted != 0 {
			t.Errorf("%s: %d distinct (%d uncounted), brute force %d", what, tb.Distinct, tb.Uncounted, len(want))
		}
		shown := 0
		for i, c := range tb.Top {
			if want[c.Name] != c.Count {
				t.Errorf("%s %s: %d, brute force %d", what, c.Name, c.Count, want[c.Name])
			}
			if i > 0 && cmp.Compare(tb.Top[i-1].Count, c.Count) < 0 {
				t.Errorf("%s: not in descending order at %d", what, i)
			}
			shown += c.Count
		}
		sum := 0
		for _, n := range want {
			sum += n
		}
		if shown+tb.NotShown != sum {
			t.Errorf("%s: shown %d + not shown %d != %d", what, shown, tb.NotShown, sum)
		}
		// Nothing left out has more failures than the last one shown.
		if len(tb.Top) > 0 {
			last := tb.Top[len(tb.Top)-1].Count
			listed := map[string]bool{}
			for _, c := range tb.Top {
				listed[c.Name] = true
			}
			for name, n := range want {
				if !listed[name] && n > last {
					t.Errorf("%s %s (%d) left out of the top", what, name, n)
				}
			}
		}
	}
	checkTable("document", s.Documents, b.docs)
	checkTable("instance", s.Instances, b.instances)
	if s.Commands.Distinct != len(b.commands) {
		t.Errorf("%d commands, brute force %d", s.Commands.Distinct, len(b.commands))
	}
	for _, c := range s.Commands.Top {
		w := b.commands[c.CommandID]
		if w == nil || w.Failures != c.Failures || !w.First.Equal(c.First) {
			t.Errorf("command %s: %d failures from %s; brute force %+v", c.CommandID, c.Failures, c.First, w)
		}
	}
}

// TestDigestAgainstDynalite seeds 10,000 failures over 40 days into dynalite and checks digests
// of several windows against a brute-force count: every number, no item outside the window
// read, expired items not counted.
func TestDigestAgainstDynalite(t *testing.T) {
	local := dynamotest.Start(t)
	store, _ := local.NewStore(t)
	end := scheduled // the seeded failures end at the last scheduled time
	ns := generate(10000, end, 40*24*time.Hour, 7)
	seed(t, store, ns)

	cases := []struct {
		name   string
		window string
		length time.Duration
		at     time.Time // the scheduled time
		now    time.Time // when the digest runs: decides expiry
	}{
		{"daily, at the end", "24h", 24 * time.Hour, end, end.Add(time.Minute)},
		{"daily, ten days back", "24h", 24 * time.Hour, end.Add(-10 * 24 * time.Hour), end.Add(time.Minute)},
		{"weekly, run a month late: part of the window expired", "7d", 7 * 24 * time.Hour, end, end.Add(32 * 24 * time.Hour)},
		{"31 days: the previous window is mostly expired", "31d", 31 * 24 * time.Hour, end, end.Add(time.Minute)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			send := &fakeSender{}
			h := &digest.Handler{Rules: config(t, c.window, false), Store: store, Send: send, Now: func() time.Time { return c.now }}
			rep, err := h.Run(t.Context(), event(digest.SourceScheduler, c.at))
			if err != nil {
				t.Fatal(err)
			}
			w := digest.WindowAt(c.at, c.length)
			b := bruteForce(ns, w.From, w.To, c.now, state.DefaultRetention)
			pw := w.Previous()
			pb := bruteForce(ns, pw.From, pw.To, c.now, state.DefaultRetention)
			if b.total == 0 {
				t.Fatal("the window is empty: the case tests nothing")
			}
			checkSummary(t, rep.Summary, b)
			if rep.Summary.Previous.Total != pb.total {
				t.Errorf("previous total %d, brute force %d", rep.Summary.Previous.Total, pb.total)
			}
			for _, d := range rep.Summary.Documents.Top {
				if !d.PreviousKnown || d.Previous != pb.docs[d.Name] {
					t.Errorf("document %s: previous %d (known %v), brute force %d", d.Name, d.Previous, d.PreviousKnown, pb.docs[d.Name])
				}
			}
			// The reads touched exactly the items in each window (Query with a key condition, no
			// Scan) and passed on only those not expired.
			if rep.Read.Scanned != b.inWindow || rep.Read.Returned != b.total {
				t.Errorf("read %+v; %d items in the window, %d not expired", rep.Read, b.inWindow, b.total)
			}
			if rep.ReadPrevious.Scanned != pb.inWindow || rep.ReadPrevious.Returned != pb.total {
				t.Errorf("previous read %+v; %d items in the window, %d not expired", rep.ReadPrevious, pb.inWindow, pb.total)
			}
			if b.inWindow == b.total && c.now.After(end.Add(time.Hour)) {
				t.Error("no expired item in the window: the case tests nothing")
			}
			t.Logf("%s: %d failures (%d in window), previous %d (%d); %d queries, %.1f RCU",
				w, b.total, b.inWindow, pb.total, pb.inWindow, rep.Read.Requests+rep.ReadPrevious.Requests, rep.Read.CapacityUnits+rep.ReadPrevious.CapacityUnits)
		})
	}
}

// live sends along the live delivery path against the local Slack and SES.
func live(tb testing.TB, slackSrv *slacktest.Server, sesURL string) *digest.Delivery {
	tb.Helper()
	cfg := dynamo.LocalConfig()
	sesClient := ses.NewFromConfig(cfg, func(o *ses.Options) { o.BaseEndpoint = aws.String(sesURL) })
	return &digest.Delivery{Transport: &deliver.Live{
		Slack: &slack.Clients{
			Secrets: staticSecret{slack.Secret{BotToken: slackSrv.Token}},
			Options: []slack.Option{slack.WithAPIURL(slackSrv.APIURL)},
		},
		Email: email.New(sesClient),
	}}
}

type staticSecret struct{ s slack.Secret }

func (s staticSecret) Get(context.Context) (slack.Secret, error) {
	return s.s, nil
}

func sesCount(tb testing.TB, url string) int {
	tb.Helper()
	resp, err := http.Get(url + "/store")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var st struct {
		Emails []json.RawMessage `json:"emails"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		tb.Fatalf("ses store: %v", err)
	}
	return len(st.Emails)
}

// TestExactlyOnceAgainstDynalite sends real digests (local Slack, aws-ses-v2-local) from a
// DynamoDB store: the same scheduled event twice gives one digest per destination, and a
// Slack failure leaves nothing marked sent, so the retry sends it — and only it.
func TestExactlyOnceAgainstDynalite(t *testing.T) {
	local := dynamotest.Start(t)
	store, _ := local.NewStore(t)
	sesSrv := testenv.SESLocal(t)
	slackSrv := slacktest.NewServer(t)
	seed(t, store, generate(300, scheduled.Add(24*time.Hour), 3*24*time.Hour, 11))
	h := &digest.Handler{Rules: config(t, "24h", false), Store: store, Send: live(t, slackSrv, sesSrv.URL),
		Now: func() time.Time { return scheduled.Add(time.Minute) }}

	t.Run("the same scheduled event twice: one digest per destination", func(t *testing.T) {
		for i := range 2 {
			if _, err := h.Handle(t.Context(), event(digest.SourceScheduler, scheduled)); err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		}
		if n := len(slackSrv.Messages("#ops-digest")); n != 1 {
			t.Errorf("%d Slack messages, want 1", n)
		}
		if n := sesCount(t, sesSrv.URL); n != 1 {
			t.Errorf("%d emails, want 1", n)
		}
	})

	t.Run("a Slack failure: nothing marked sent, the retry sends it", func(t *testing.T) {
		next := scheduled.Add(24 * time.Hour)
		h.Now = func() time.Time { return next.Add(time.Minute) }
		slackSrv.Inject(slacktest.MethodPostMessage, 1, slacktest.ServerError())
		_, err := h.Handle(t.Context(), event(digest.SourceScheduler, next))
		if err == nil {
			t.Fatal("no error for a Slack 500")
		}
		if n := len(slackSrv.Messages("#ops-digest")); n != 1 {
			t.Errorf("%d Slack messages after the failure, want 1 (yesterday's)", n)
		}
		emails := sesCount(t, sesSrv.URL)
		if emails != 2 {
			t.Errorf("%d emails, want 2: email is not held back by Slack's failure", emails)
		}
		// Not marked sent: the claim can be taken at once.
		w := digest.WindowAt(next, 24*time.Hour)
		c, err := store.Claim(t.Context(), state.DigestClaim(w.From, w.To, "ops-slack"), h.Now(), h.Now().Add(time.Minute))
		if err != nil || c.Outcome != state.ClaimWon {
			t.Fatalf("claim after the failure: %+v, %v; want won", c, err)
		}
		if err := store.Release(t.Context(), c, h.Now()); err != nil {
			t.Fatal(err)
		}
		// Lambda's retry.
		rep, err := h.Run(t.Context(), event(digest.SourceScheduler, next))
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rep); got != "ops-slack=sent platform-email=duplicate" {
			t.Errorf("retry outcomes %q", got)
		}
		if n := len(slackSrv.Messages("#ops-digest")); n != 2 {
			t.Errorf("%d Slack messages, want 2", n)
		}
		if n := sesCount(t, sesSrv.URL); n != emails {
			t.Errorf("the retry sent the email again (%d → %d)", emails, n)
		}
	})
}
