package payload

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzIDList checks the instance-ID fast path against encoding/json: same result, same
// acceptance, for any input.
func FuzzIDList(f *testing.F) {
	for _, s := range []string{`[]`, `null`, `["i-1"]`, `[ "i-1" , "i-2" ]`, `["i-\u0031"]`, `["a",]`, `["a" "b"]`, `[1]`, `["a\"b"]`, "[\n\"i-1\",\n\"i-2\"\n]", `["é"]`, `["<>&"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []string
		werr := json.Unmarshal(b, &want)
		var got idList
		gerr := json.Unmarshal(b, &got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json err %v, idList err %v", b, werr, gerr)
		}
		if werr == nil && (!slices.Equal(want, []string(got)) || (want == nil) != (got == nil)) {
			t.Fatalf("%q: encoding/json %#v, idList %#v", b, want, got)
		}
	})
}
