package render_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/state"
)

// The HTML bodies are built by hand so that no binary links html/template (see htmlescape.go).
// These tests hold them to the old templates (template_oracle_test.go) byte for byte: on every
// golden input, on the hostile corpora, and under fuzzing with arbitrary values in every field,
// URLs and colours included.

// sameHTML fails unless got equals want, showing where they part.
func sameHTML(t testing.TB, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	t.Fatalf("hand-written HTML differs from html/template at byte %d\n got: %q\nwant: %q", i, got[from:min(len(got), i+80)], want[from:min(len(want), i+80)])
}

func checkEmailData(t testing.TB, d *render.EmailData) {
	t.Helper()
	got, want, err := render.EmailHTMLBoth(d)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	sameHTML(t, got, want)
}

func checkDigestData(t testing.TB, d *render.DigestEmailData) {
	t.Helper()
	got, want, err := render.DigestHTMLBoth(d)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	sameHTML(t, got, want)
}

// checkEmail renders n both ways, and checks that Email itself returns the hand-written body.
func checkEmail(t *testing.T, n *payload.Notification, opt render.Options) {
	t.Helper()
	d := render.NewEmailData(n, opt)
	got, want, err := render.EmailHTMLBoth(&d)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	sameHTML(t, got, want)
	mail, err := render.Email(n, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameHTML(t, mail.HTML, want)
}

// hostileURLs and hostileColors exercise html/template's URL normalizer and CSS value filter,
// which the renderer's own URLs and colours never reach.
var (
	hostileURLs = []string{
		"https://us-east-1.console.aws.amazon.com/systems-manager/run-command/c-1?region=us-east-1",
		"https://x.example/a b?q=<d>&e=\"f\"'g'(h)+i#frag",
		"javascript:alert(1)", "JavaScript:alert(1)", " javascript:x", "data:text/html,<script>", "vbscript:x",
		"mailto:a@b.example", "HTTP://x", "/relative:colon", "relative", "#", "?q=1", "", ":", "a:",
		"%41%4g%zz%", "%", "%4", "%%41", "%E2%82%AC", "é ü 🚨", "\x00\x01\x7f\xff\xfe", "\t\n\r ",
		"!#$&*+,/:;=?@[]-._~", "{}|\\^`",
	}
	hostileColors = []string{
		"#cf222e", "#1a7f37", "red", "10px", "", "-", "--", "a--b", "-x-", "a;b", "a:b", "a b", "\"", "'", "(", ")",
		"/", "@", "[", "]", "{", "}", "`", "<", ">", "\\", "\x00", "expression(alert(1))", "EXPRESSION", "ex/**/pression",
		"e\\78pression", "\\65 xpression", "moz-binding", "-moz-binding", "mozbinding", "\\41", "\\41 B", "\\41\r\nB",
		"\\41\rB", "\\0", "\\110000", "\\FFFFFFF", "\\d800", "\\\\", "\\\"", "\\", "a\\", "\\\xff", "\xff\xfe", "é日本",
		"\\3c script", "\\2d\\2d", "url(x)", "&", "+", "&amp;",
	}
)

func TestEmailHTMLMatchesTemplate(t *testing.T) {
	t.Run("notifications", func(t *testing.T) {
		files, _ := filepath.Glob("testdata/notifications/*.json")
		if len(files) == 0 {
			t.Fatal("no notifications")
		}
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				n := mustNotification(t, f)
				checkEmail(t, n, optionsFor(n))
				checkEmail(t, n, render.Options{SubjectPrefix: "[prod] <&>"})
			})
		}
	})
	t.Run("events", func(t *testing.T) {
		files, _ := filepath.Glob("../../events/*.json")
		decoded := 0
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ns, _ := payload.Decode(raw)
			for i := range ns {
				t.Run(fmt.Sprintf("%s-%d", filepath.Base(f), i), func(t *testing.T) {
					checkEmail(t, &ns[i], optionsFor(&ns[i]))
				})
				decoded++
			}
		}
		if len(files) > 0 && decoded == 0 {
			t.Error("no sample event decoded into a notification")
		}
	})
	t.Run("detail", func(t *testing.T) {
		for _, tc := range detailCases {
			t.Run(tc.name, func(t *testing.T) {
				n := mustNotification(t, filepath.Join("testdata/notifications", tc.notification+".json"))
				checkEmail(t, n, render.Options{Mention: "<!here>", SubjectPrefix: "[prod]", Detail: &tc.detail})
			})
		}
	})
	t.Run("hostile", func(t *testing.T) {
		for i, h := range hostile {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				n := &payload.Notification{
					Kind: payload.KindCommand, CommandID: h + "-1", DocumentName: h,
					InstanceIDs: []string{h, "i-0aaa1111bbbb2222c", h},
					Status:      payload.Status(h), StatusRaw: h, NonStandard: true,
					Account: h, OutputS3BucketName: h, OutputS3KeyPrefix: h,
				}
				for _, kind := range []payload.Kind{payload.KindCommand, payload.KindInvocation} {
					n.Kind, n.InstanceID = kind, h
					for _, region := range []string{h, "us-east-1"} {
						n.Region = region
						checkEmail(t, n, render.Options{SubjectPrefix: h})
					}
				}
			})
		}
	})
	t.Run("hostile output", func(t *testing.T) {
		n := mustNotification(t, "testdata/notifications/invocation-failed.json")
		for i, h := range hostileOutput {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				d := &failure.Detail{
					Invocations: []failure.Invocation{
						{InstanceID: h, InstanceName: h, Status: h, Step: h, Steps: 2, Stream: "stderr", Output: h,
							Unavailable: &failure.Reason{Code: failure.APIError, API: h}, S3Bucket: "evil.example/|<!channel>"},
						{InstanceID: "i-1", Stream: "stdout", Output: h, LogGroup: "/aws/ssm/x", Patch: &failure.Patch{Operation: h}},
						{InstanceID: "i-2", Stream: "stdout", Output: h, S3Bucket: "ops-output", S3Prefix: h},
					},
					Unavailable: &failure.Reason{Code: failure.OtherAccount, Where: h},
				}
				checkEmail(t, n, render.Options{Detail: d})
			})
		}
	})
	// The renderer only builds https console URLs and fixed hex colours; the hand-written
	// escaping must still agree with html/template on anything else.
	t.Run("hostile URLs and colours", func(t *testing.T) {
		for _, u := range hostileURLs {
			for _, c := range hostileColors {
				d := render.EmailData{
					Subject: u, Title: c, Color: c,
					Links: []render.EmailLink{{Label: c, URL: u}},
					Detail: &render.EmailDetail{Invocations: []render.EmailInvocation{
						{Title: u, Output: c, Label: u, URL: u, LinkLabel: c},
					}},
				}
				checkEmailData(t, &d)
			}
		}
	})
}

func TestDigestHTMLMatchesTemplate(t *testing.T) {
	cases := []struct {
		name string
		d    render.DigestEmailData
	}{}
	add := func(name string, s func() render.DigestEmailData) {
		cases = append(cases, struct {
			name string
			d    render.DigestEmailData
		}{name, s()})
	}
	add("failures", func() render.DigestEmailData {
		return render.NewDigestEmailData(digestSummary(t, 10, 0), render.DigestOptions{Location: london, SubjectPrefix: "[ssm]"})
	})
	add("top2-utc", func() render.DigestEmailData {
		return render.NewDigestEmailData(digestSummary(t, 2, 0), render.DigestOptions{})
	})
	add("capped", func() render.DigestEmailData {
		return render.NewDigestEmailData(digestSummary(t, 10, 3), render.DigestOptions{Location: london})
	})
	add("no previous", func() render.DigestEmailData {
		d := render.NewDigestEmailData(digestSummary(t, 10, 0), render.DigestOptions{})
		d.HasChange, d.Versus = false, ""
		return d
	})
	for i, h := range hostile {
		add(fmt.Sprint("hostile-", i), func() render.DigestEmailData {
			f := state.Failure{CommandID: h, DocumentName: h, InstanceID: h, Status: payload.Status(h), EventTime: digestFrom.Add(time.Hour), Region: h, Account: h}
			g := f
			g.Region = "us-east-1"
			return render.NewDigestEmailData(digestSummary(t, 10, 0, f, g), render.DigestOptions{Location: london, SubjectPrefix: h})
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkDigestData(t, &c.d) })
	}
	t.Run("golden summaries through DigestEmail", func(t *testing.T) {
		s := digestSummary(t, 10, 0)
		opt := render.DigestOptions{Location: london}
		mail, err := render.DigestEmail(s, opt)
		if err != nil {
			t.Fatal(err)
		}
		d := render.NewDigestEmailData(s, opt)
		_, want, err := render.DigestHTMLBoth(&d)
		if err != nil {
			t.Fatal(err)
		}
		sameHTML(t, mail.HTML, want)
	})
	t.Run("hostile URLs and colours", func(t *testing.T) {
		for _, u := range hostileURLs {
			for _, c := range hostileColors {
				d := render.DigestEmailData{
					Subject: u, Title: c, Color: c, Window: u, Versus: c,
					Statuses: []render.DigestRow{{Name: u, Count: c}},
					Commands: []render.DigestCommandRow{{ID: c, URL: u, Document: u, Region: c, Failures: u, First: c}},
				}
				checkDigestData(t, &d)
			}
		}
	})
}

// fuzzSeeds are the hostile corpora, each cut to 512 bytes: long seeds add nothing the escapers
// do not already see in a short one, and they make minimizing an interesting input take the
// whole fuzzing time (the tests above render the long values in full).
func fuzzSeeds() []string {
	var out []string
	for _, s := range append(append(append([]string{}, hostile...), hostileOutput...), append(hostileURLs, hostileColors...)...) {
		out = append(out, s[:min(len(s), 512)])
	}
	return out
}

// pick returns s when bit is set in shape, and "" otherwise: the fuzzer turns the template's
// conditionals on and off.
func pick(shape uint32, bit int, s string) string {
	if shape&(1<<bit) != 0 {
		return s
	}
	return ""
}

// FuzzEmailHTMLMatchesTemplate renders arbitrary email data (every field, URLs and colours
// included, every conditional on or off) by hand and through the old html/template template.
func FuzzEmailHTMLMatchesTemplate(f *testing.F) {
	seeds := fuzzSeeds()
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)], hostileURLs[i%len(hostileURLs)], hostileColors[i%len(hostileColors)], uint32(i)*2654435761)
	}
	f.Fuzz(func(t *testing.T, a, b, u, c string, shape uint32) {
		d := render.EmailData{Subject: a, Title: b, Status: a, Color: c, InstancesLabel: a, InstancesText: b, NoRegion: shape&1 != 0}
		for i := range int(shape>>1) & 3 {
			d.Rows = append(d.Rows, render.EmailRow{Name: a, Value: b + u, Code: shape&(1<<(3+i)) != 0})
		}
		if shape&(1<<6) != 0 {
			d.Instances = []string{b}
		}
		for range int(shape>>7) & 3 {
			d.Links = append(d.Links, render.EmailLink{Label: b, URL: u})
		}
		if shape&(1<<9) != 0 {
			d.Detail = &render.EmailDetail{Unavailable: pick(shape, 10, a), Note: pick(shape, 11, b), Common: pick(shape, 26, c)}
			for i := range int(shape>>12) & 3 {
				sh := shape >> (14 + 4*i)
				d.Detail.Invocations = append(d.Detail.Invocations, render.EmailInvocation{
					Title: a, Unavailable: pick(sh, 0, b), Label: c, Output: pick(sh, 1, a+"\n"+b), Patch: pick(sh, 3, b),
					URL: pick(sh, 2, u), LinkLabel: pick(sh, 3, c),
				})
			}
		}
		checkEmailData(t, &d)
	})
}

// FuzzDigestHTMLMatchesTemplate does the same for the digest email.
func FuzzDigestHTMLMatchesTemplate(f *testing.F) {
	seeds := fuzzSeeds()
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)], hostileURLs[i%len(hostileURLs)], hostileColors[i%len(hostileColors)], uint32(i)*2654435761)
	}
	f.Fuzz(func(t *testing.T, a, b, u, c string, shape uint32) {
		d := render.DigestEmailData{
			Subject: a, Title: b, Color: c, Window: a, Versus: pick(shape, 0, b),
			Clear: shape&(1<<1) != 0, HasChange: shape&(1<<2) != 0,
			DocumentsMore: pick(shape, 3, a), InstancesMore: pick(shape, 4, b), CommandsMore: pick(shape, 5, c),
		}
		for i := range int(shape>>6) & 3 {
			d.Statuses = append(d.Statuses, render.DigestRow{Name: a, Count: fmt.Sprint(i, b)})
		}
		for range int(shape>>8) & 3 {
			d.Documents = append(d.Documents, render.DigestRow{Name: a, Count: b, Change: c})
		}
		for range int(shape>>10) & 3 {
			d.Instances = append(d.Instances, render.DigestRow{Name: b, Count: a})
		}
		for i := range int(shape>>12) & 3 {
			sh := shape >> (14 + 2*i)
			d.Commands = append(d.Commands, render.DigestCommandRow{ID: a, URL: pick(sh, 0, u), Document: b, Region: pick(sh, 1, c), Failures: a, First: b})
		}
		for range int(shape>>20) & 3 {
			d.Notes = append(d.Notes, c+a)
		}
		checkDigestData(t, &d)
	})
}
