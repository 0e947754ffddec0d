package silence_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/silence"
)

// BenchmarkFind is the router's per-delivery cost of the ad-hoc silences: the active list (the
// cached copy) searched for one notification. n silences, none matching (the worst case: every
// one is checked), half of them with a regexp.
func BenchmarkFind(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("silences=%d", n), func(b *testing.B) {
			list := make([]silence.Silence, n)
			for i := range list {
				ms := []string{fmt.Sprintf("document=Doc-%d", i)}
				if i%2 == 0 {
					ms = append(ms, "status=~'Failed|TimedOut'", fmt.Sprintf("instance=~'i-%03d.*'", i))
				}
				s := silence.Silence{ID: fmt.Sprint(i), Starts: base, Ends: base.Add(time.Hour), Author: "a", Comment: "c"}
				for _, a := range ms {
					m, err := silence.ParseMatcher(a)
					if err != nil {
						b.Fatal(err)
					}
					s.Matchers = append(s.Matchers, m)
				}
				list[i] = s
			}
			tgt := silence.Target{N: notification("AWS-RunPatchBaseline", "i-0abc", payload.StatusFailed), Route: "r", Destination: "d"}
			now := base.Add(time.Minute)
			b.ReportAllocs()
			for b.Loop() {
				if silence.Find(list, tgt, now) != nil {
					b.Fatal("matched")
				}
			}
		})
	}
}
