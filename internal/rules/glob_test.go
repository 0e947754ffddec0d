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
		// What path.Match does differently, and the wrapper keeps as the config has always had it.
		{"*/Deploy-?eb", []string{"arn:aws:ssm:us-east-1:123456789012:document/Deploy-web"}, []string{"Deploy-web"}},
		{"a?b", []string{"a/b", "axb"}, []string{"ab"}},
		{"[!/]x", []string{"ax"}, []string{"/x"}},
		{"[.-0]", []string{"/", ".", "0"}, []string{"1"}},
		{"[]-]", []string{"]", "-"}, []string{"a"}},
		{`[\]]`, []string{"]"}, []string{`\`}},
		{"a[!b-d]*", []string{"a/", "ae"}, []string{"ac", "a"}},
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

// FuzzGlob checks the matcher against two references: path.Match where the two agree by design
// (no '/', which our '*' crosses and path.Match's does not, and no '!' or class edge cases where
// the dialects differ), and, everywhere, oracleMatch: the config's dialect written the slow,
// obvious way, as glob.go implemented it by hand before it stood on path.Match.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"a*b", "i-[0-9]*", "*x?y*", `\*a`, "[^a-c]?", "*/Deploy-*", "a?b", "[!/]x", "[]-]", "[.-0]*", `[\]]`} {
		f.Add(s, "i-0abc")
		f.Add(s, "arn:aws:ssm:us-east-1:123456789012:document/Deploy-web")
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) || strings.ContainsRune(pattern+s, slashStandIn) {
			return
		}
		g, err := compileGlob(pattern)
		want, ok := oracleMatch(pattern, s)
		if (err == nil) != ok {
			t.Fatalf("compileGlob(%q) error = %v, the oracle says valid = %v", pattern, err, ok)
		}
		if err != nil {
			return
		}
		if got := g.match(s); got != want {
			t.Errorf("match(%q, %q) = %v, the oracle says %v", pattern, s, got, want)
		}
		if strings.ContainsAny(pattern+s, "/!") {
			return
		}
		if want, perr := path.Match(pattern, s); perr == nil && g.match(s) != want {
			t.Errorf("match(%q, %q) = %v, path.Match says %v", pattern, s, g.match(s), want)
		}
	})
}

// oracleMatch matches s against pattern in the config's glob dialect by trying every way: '*'
// any run of characters, '/' included; '?' any one character; '[...]' one character of a class
// ('!' or '^' first negates; ']' first is a member; "a-z" a range unless the '-' is last);
// '\' escapes. ok is false for a malformed pattern.
func oracleMatch(pattern, s string) (matched, ok bool) {
	type token struct {
		op     byte // '*', '?', '[' or 0 for a literal
		lit    rune
		negate bool
		ranges [][2]rune
	}
	var toks []token
	p := []rune(pattern)
	if len(p) == 0 {
		return false, false
	}
	// escaped reads the character at p[*i], stepping over a '\'.
	escaped := func(i *int) (rune, bool) {
		if p[*i] == '\\' {
			*i++
			if *i >= len(p) {
				return 0, false
			}
		}
		return p[*i], true
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?':
			toks = append(toks, token{op: byte(p[i])})
		case '[':
			t := token{op: '['}
			i++
			if i < len(p) && (p[i] == '!' || p[i] == '^') {
				t.negate = true
				i++
			}
			for first := true; ; first = false {
				if i >= len(p) {
					return false, false
				}
				if p[i] == ']' && !first {
					break
				}
				lo, ok := escaped(&i)
				if !ok {
					return false, false
				}
				hi := lo
				if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
					i += 2
					if hi, ok = escaped(&i); !ok || hi < lo {
						return false, false
					}
				}
				t.ranges = append(t.ranges, [2]rune{lo, hi})
				i++
			}
			toks = append(toks, t)
		default:
			r, ok := escaped(&i)
			if !ok {
				return false, false
			}
			toks = append(toks, token{lit: r})
		}
	}
	str := []rune(s)
	// at[k][j]: toks[k:] matches str[j:].
	at := make([][]bool, len(toks)+1)
	for k := range at {
		at[k] = make([]bool, len(str)+1)
	}
	at[len(toks)][len(str)] = true
	for k := len(toks) - 1; k >= 0; k-- {
		for j := len(str); j >= 0; j-- {
			t := toks[k]
			if t.op == '*' {
				at[k][j] = at[k+1][j] || (j < len(str) && at[k][j+1])
				continue
			}
			if j == len(str) {
				continue
			}
			var one bool
			switch t.op {
			case '?':
				one = true
			case '[':
				in := false
				for _, r := range t.ranges {
					in = in || (r[0] <= str[j] && str[j] <= r[1])
				}
				one = in != t.negate
			default:
				one = str[j] == t.lit
			}
			at[k][j] = one && at[k+1][j+1]
		}
	}
	return at[0][0], true
}

// BenchmarkGlob times one match of each pattern shape: the fast paths, and general patterns
// (path.Match) on an instance ID and on a shared document's ARN, whose '/' costs a copy.
func BenchmarkGlob(b *testing.B) {
	const arn = "arn:aws:ssm:us-east-1:123456789012:document/Deploy-web"
	for _, tc := range []struct{ name, pattern, s string }{
		{"exact", "AWS-RunPatchBaseline", "AWS-RunShellScript"},
		{"prefix", "i-0ab*", "i-0aaa1111bbbb2222c"},
		{"general-instance", "i-0[0-9a-f]?*", "i-0aaa1111bbbb2222c"},
		{"general-arn", "*/Deploy-?eb", arn},
		{"general-arn-miss", "*/Deploy-?1*", arn},
	} {
		g, err := compileGlob(tc.pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.match(tc.s)
			}
		})
	}
}
