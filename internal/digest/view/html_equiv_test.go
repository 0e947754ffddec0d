package view_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/digest/view"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render/rendertest"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// The digest's HTML body is built by hand so that no binary links html/template. These tests
// hold it to the old template (template_oracle_test.go) byte for byte: on the golden summaries,
// on the hostile corpora, and under fuzzing with arbitrary values in every field, URLs and
// colours included.

var (
	sameHTML      = rendertest.SameHTML
	pick          = rendertest.Pick
	hostileURLs   = rendertest.HostileURLs
	hostileColors = rendertest.HostileColors
)

func checkDigestData(t testing.TB, d *view.EmailData) {
	t.Helper()
	got, want, err := view.HTMLBoth(d)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	sameHTML(t, got, want)
}

// fuzzSeeds are the hostile corpora, each cut to 512 bytes: long seeds add nothing the escapers
// do not already see in a short one.
func fuzzSeeds() []string {
	var out []string
	for _, s := range append(append(append([]string{}, hostile...), hostileURLs...), hostileColors...) {
		out = append(out, s[:min(len(s), 512)])
	}
	return out
}

func TestDigestHTMLMatchesTemplate(t *testing.T) {
	cases := []struct {
		name string
		d    view.EmailData
	}{}
	add := func(name string, s func() view.EmailData) {
		cases = append(cases, struct {
			name string
			d    view.EmailData
		}{name, s()})
	}
	add("failures", func() view.EmailData {
		return view.NewEmailData(digestSummary(t, 10, 0), view.Options{Location: london, SubjectPrefix: "[ssm]"})
	})
	add("top2-utc", func() view.EmailData {
		return view.NewEmailData(digestSummary(t, 2, 0), view.Options{})
	})
	add("capped", func() view.EmailData {
		return view.NewEmailData(digestSummary(t, 10, 3), view.Options{Location: london})
	})
	add("no previous", func() view.EmailData {
		d := view.NewEmailData(digestSummary(t, 10, 0), view.Options{})
		d.HasChange, d.Versus = false, ""
		return d
	})
	for i, h := range hostile {
		add(fmt.Sprint("hostile-", i), func() view.EmailData {
			f := state.Failure{CommandID: h, DocumentName: h, InstanceID: h, Status: payload.Status(h), EventTime: digestFrom.Add(time.Hour), Region: h, Account: h}
			g := f
			g.Region = "us-east-1"
			return view.NewEmailData(digestSummary(t, 10, 0, f, g), view.Options{Location: london, SubjectPrefix: h})
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkDigestData(t, &c.d) })
	}
	t.Run("golden summaries through DigestEmail", func(t *testing.T) {
		s := digestSummary(t, 10, 0)
		opt := view.Options{Location: london}
		mail, err := view.Email(s, opt)
		if err != nil {
			t.Fatal(err)
		}
		d := view.NewEmailData(s, opt)
		_, want, err := view.HTMLBoth(&d)
		if err != nil {
			t.Fatal(err)
		}
		sameHTML(t, mail.HTML, want)
	})
	t.Run("hostile URLs and colours", func(t *testing.T) {
		for _, u := range hostileURLs {
			for _, c := range hostileColors {
				d := view.EmailData{
					Subject: u, Title: c, Color: c, Window: u, Versus: c,
					Statuses: []view.Row{{Name: u, Count: c}},
					Commands: []view.CommandRow{{ID: c, URL: u, Document: u, Region: c, Failures: u, First: c}},
				}
				checkDigestData(t, &d)
			}
		}
	})
}

// FuzzDigestHTMLMatchesTemplate does the same for the digest email.
func FuzzDigestHTMLMatchesTemplate(f *testing.F) {
	seeds := fuzzSeeds()
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)], hostileURLs[i%len(hostileURLs)], hostileColors[i%len(hostileColors)], uint32(i)*2654435761)
	}
	f.Fuzz(func(t *testing.T, a, b, u, c string, shape uint32) {
		d := view.EmailData{
			Subject: a, Title: b, Color: c, Window: a, Versus: pick(shape, 0, b),
			Clear: shape&(1<<1) != 0, HasChange: shape&(1<<2) != 0,
			DocumentsMore: pick(shape, 3, a), InstancesMore: pick(shape, 4, b), CommandsMore: pick(shape, 5, c),
		}
		for i := range int(shape>>6) & 3 {
			d.Statuses = append(d.Statuses, view.Row{Name: a, Count: fmt.Sprint(i, b)})
		}
		for range int(shape>>8) & 3 {
			d.Documents = append(d.Documents, view.Row{Name: a, Count: b, Change: c})
		}
		for range int(shape>>10) & 3 {
			d.Instances = append(d.Instances, view.Row{Name: b, Count: a})
		}
		for i := range int(shape>>12) & 3 {
			sh := shape >> (14 + 2*i)
			d.Commands = append(d.Commands, view.CommandRow{ID: a, URL: pick(sh, 0, u), Document: b, Region: pick(sh, 1, c), Failures: a, First: b})
		}
		for range int(shape>>20) & 3 {
			d.Notes = append(d.Notes, c+a)
		}
		checkDigestData(t, &d)
	})
}
