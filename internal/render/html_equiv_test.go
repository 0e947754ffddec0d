package render_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/failure"
	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/render"
	"github.com/ssmnotify/ssmnotify/internal/render/rendertest"
)

// The HTML bodies are built by hand so that no binary links html/template (see htmlescape.go).
// These tests hold them to the old templates (template_oracle_test.go) byte for byte: on every
// golden input, on the hostile corpora, and under fuzzing with arbitrary values in every field,
// URLs and colours included.

func checkEmailData(t testing.TB, d *render.EmailData) {
	t.Helper()
	got, want, err := render.EmailHTMLBoth(d)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	sameHTML(t, got, want)
}

// The shared test helpers (internal/render/rendertest), under the names this package's tests use.
var (
	sameHTML      = rendertest.SameHTML
	pick          = rendertest.Pick
	hostileURLs   = rendertest.HostileURLs
	hostileColors = rendertest.HostileColors
)

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
			ns := payload.Decode(raw).Notifications()
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
