package rules

import (
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		{"AWS-RunShellScript", []string{"AWS-RunShellScript"}, []string{"AWS-RunShellScript2", "aws-runshellscript", ""}},
		{"*", []string{"", "x", "arn:aws:ssm:us-east-1:123456789012:document/Deploy"}, nil},
		{"AWS-*", []string{"AWS-", "AWS-RunPatchBaseline"}, []string{"AWS", "Custom-AWS-X"}},
		{"*Baseline", []string{"AWS-RunPatchBaseline", "Baseline"}, []string{"Baselines"}},
		{"*Patch*", []string{"AWS-RunPatchBaseline", "Patch"}, []string{"patch"}},
		{"*document/Deploy-*", []string{"arn:aws:ssm:us-east-1:123456789012:document/Deploy-web"}, []string{"Deploy-web"}},
		{"i-0??", []string{"i-0ab"}, []string{"i-0a", "i-0abc"}},
		{"i-[0-9a-f]*", []string{"i-0abc", "i-f"}, []string{"i-g12", "mi-0"}},
		{"i-[!0]*", []string{"i-1"}, []string{"i-0", "i-"}},
		{"i-[^0]*", []string{"i-1"}, []string{"i-0"}},
		{"a*b*c", []string{"abc", "aXbYc", "abbc", "acbc"}, []string{"ab", "acb", "abcx"}},
		{"a*b?d*", []string{"abcd", "aXbcdY", "abbbd"}, []string{"abd", "abcx"}},
		{"*a?", []string{"ab", "xxab", "aab"}, []string{"a", "ba"}},
		{`\*literal`, []string{"*literal"}, []string{"xliteral"}},
		{"ünï*", []string{"ünïcode"}, []string{"unicode"}},
		{"?", []string{"ü", "a"}, []string{"", "ab"}},
		{"**", []string{"", "anything"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			g, err := compileGlob(tt.pattern)
			if err != nil {
				t.Fatalf("compileGlob(%q): %v", tt.pattern, err)
			}
			for _, s := range tt.match {
				if !g.match(s) {
					t.Errorf("%q should match %q", tt.pattern, s)
				}
			}
			for _, s := range tt.noMatch {
				if g.match(s) {
					t.Errorf("%q should not match %q", tt.pattern, s)
				}
			}
		})
	}
}

func TestGlobBad(t *testing.T) {
	for _, p := range []string{"", "i-[0-9", `abc\`, "[z-a]", "[", "x[]"} {
		t.Run(p, func(t *testing.T) {
			if _, err := compileGlob(p); err == nil {
				t.Errorf("compileGlob(%q) = nil error, want one", p)
			}
		})
	}
}

// FuzzGlob checks the matcher against path.Match where the two agree by design: no '/', which
// our '*' crosses and path.Match's does not, and no '!' or class edge cases where the dialects
// differ.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"a*b", "i-[0-9]*", "*x?y*", `\*a`, "[^a-c]?"} {
		f.Add(s, "i-0abc")
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if strings.ContainsAny(pattern+s, "/!") || !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		g, err := compileGlob(pattern)
		want, perr := path.Match(pattern, s)
		if err != nil || perr != nil {
			return
		}
		if got := g.match(s); got != want {
			t.Errorf("match(%q, %q) = %v, path.Match says %v", pattern, s, got, want)
		}
	})
}
