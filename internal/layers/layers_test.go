package layers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layering is the list at the top of docs/architecture.md: packages by layer, and the test
// helpers.
type layering struct {
	// names[i] is layer i+1's name, bottom first; patterns[i] its package patterns ("x/..."
	// covers x and the packages under it).
	names    []string
	patterns [][]string
	// helpers are the packages that only tests may import.
	helpers []string
}

// readLayering parses the first ```text block after the "## Layers" heading of the doc:
//
//	layer N  name:  pattern pattern …
//	tests    name:  helper helper …
func readLayering(t *testing.T, doc string) layering {
	t.Helper()
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "\n## Layers")
	if !ok {
		t.Fatalf("%s has no \"## Layers\" section", doc)
	}
	_, rest, ok = strings.Cut(rest, "```text\n")
	if !ok {
		t.Fatalf("%s: the Layers section has no ```text block", doc)
	}
	block, _, _ := strings.Cut(rest, "```")
	type row struct {
		n        int
		name     string
		patterns []string
	}
	var rows []row
	var l layering
	sc := bufio.NewScanner(strings.NewReader(block))
	for sc.Scan() {
		head, list, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(head)
		switch {
		case len(f) >= 2 && f[0] == "layer":
			var n int
			if _, err := fmt.Sscan(f[1], &n); err != nil {
				t.Fatalf("%s: %q: layer number: %v", doc, sc.Text(), err)
			}
			rows = append(rows, row{n: n, name: strings.Join(f[2:], " "), patterns: strings.Fields(list)})
		case len(f) >= 1 && f[0] == "tests":
			l.helpers = append(l.helpers, strings.Fields(list)...)
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return a.n - b.n })
	for i, r := range rows {
		if r.n != i+1 {
			t.Fatalf("%s: layers must be numbered 1..%d, found %d", doc, len(rows), r.n)
		}
		l.names = append(l.names, r.name)
		l.patterns = append(l.patterns, r.patterns)
	}
	if len(rows) < 2 || len(l.helpers) == 0 {
		t.Fatalf("%s: the Layers block lists %d layers and %d test helpers", doc, len(rows), len(l.helpers))
	}
	return l
}

// match reports whether pattern covers pkg, and how specifically (longer is more specific).
func match(pattern, pkg string) (int, bool) {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return len(base), pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return len(pattern) + 1, pkg == pattern
}

// layerOf is the layer (1 = bottom) of the most specific pattern covering pkg, or 0.
func (l layering) layerOf(pkg string) int {
	best, layer := -1, 0
	for i, ps := range l.patterns {
		for _, p := range ps {
			if n, ok := match(p, pkg); ok && n > best {
				best, layer = n, i+1
			}
		}
	}
	return layer
}

func (l layering) helper(pkg string) bool { return slices.Contains(l.helpers, pkg) }

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// moduleRoot is the folder of go.mod, above this package's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// listPackages runs `go list -e -json ./...` in the module and returns its packages, their
// import paths relative to the module.
func listPackages(t *testing.T, root string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Module", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	module := ""
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			pkg
			Module *struct{ Path string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Module != nil {
			module = p.Module.Path
		}
		pkgs = append(pkgs, p.pkg)
	}
	if module == "" {
		t.Fatal("go list names no module")
	}
	own := func(paths []string) []string {
		var out []string
		for _, ip := range paths {
			if rel, ok := strings.CutPrefix(ip, module+"/"); ok {
				out = append(out, rel)
			}
		}
		return out
	}
	for i := range pkgs {
		p := &pkgs[i]
		p.ImportPath = strings.TrimPrefix(p.ImportPath, module+"/")
		p.Imports, p.TestImports, p.XTestImports = own(p.Imports), own(p.TestImports), own(p.XTestImports)
	}
	return pkgs
}

// problems lists every import that breaks the layering, every production import of a test
// helper, every package the layering does not place and every listed helper that does not
// exist; graph draws the production imports.
func problems(l layering, pkgs []pkg) (out []string, graph string) {
	layer := func(p string) int {
		n := l.layerOf(p)
		if n == 0 && l.helper(p) {
			return 1 // a helper that imports nothing of the module's
		}
		return n
	}
	var g strings.Builder
	for _, p := range pkgs {
		from := layer(p.ImportPath)
		if from == 0 {
			out = append(out, p.ImportPath+" is in no layer: add it to the Layers list at the top of docs/architecture.md")
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				if imp == p.ImportPath {
					continue
				}
				to := layer(imp)
				switch {
				case to > from:
					what := "imports"
					if test {
						what = "has tests that import"
					}
					out = append(out, fmt.Sprintf("%s (layer %d, %s) %s %s (layer %d, %s): a lower layer must not import a higher one",
						p.ImportPath, from, l.names[from-1], what, imp, to, l.names[to-1]))
				case !test && l.helper(imp) && !l.helper(p.ImportPath):
					out = append(out, p.ImportPath+" imports the test helper "+imp+" outside its tests")
				}
			}
		}
		check(p.Imports, false)
		check(p.TestImports, true)
		check(p.XTestImports, true)
		if len(p.Imports) > 0 {
			fmt.Fprintf(&g, "%d %s → %s\n", from, p.ImportPath, strings.Join(p.Imports, " "))
		}
	}
	for _, h := range l.helpers {
		if !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.ImportPath == h }) {
			out = append(out, "the Layers list names the test helper "+h+", which does not exist")
		}
	}
	return out, g.String()
}

// TestLayering fails on an import from a lower layer into a higher one, on production code that
// imports a test helper, and on a package the layering does not place (add it to the list at
// the top of docs/architecture.md). With -v it draws the import graph.
func TestLayering(t *testing.T) {
	root := moduleRoot(t)
	l := readLayering(t, filepath.Join(root, "docs", "architecture.md"))
	pkgs := listPackages(t, root)
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	probs, graph := problems(l, pkgs)
	for _, p := range probs {
		t.Error(p)
	}
	t.Logf("import graph (layer, package → what it imports):\n%s", graph)
}

// TestLayeringCatches checks the checker on a made-up module.
func TestLayeringCatches(t *testing.T) {
	l := layering{names: []string{"core", "top"}, patterns: [][]string{{"internal/a/..."}, {"internal/b"}}, helpers: []string{"internal/h", "internal/gone"}}
	for _, c := range []struct {
		pkg  string
		want int
	}{{"internal/a", 1}, {"internal/a/x", 1}, {"internal/ab", 0}, {"internal/b", 2}, {"internal/b/x", 0}, {"internal/h", 0}} {
		if got := l.layerOf(c.pkg); got != c.want {
			t.Errorf("layerOf(%s) = %d, want %d", c.pkg, got, c.want)
		}
	}
	pkgs := []pkg{
		{ImportPath: "internal/a", Imports: []string{"internal/b"}},                                        // upward
		{ImportPath: "internal/a/x", Imports: []string{"internal/h"}, TestImports: []string{"internal/h"}}, // helper outside tests
		{ImportPath: "internal/b", Imports: []string{"internal/a"}, XTestImports: []string{"internal/h"}},  // fine
		{ImportPath: "internal/h", Imports: []string{"internal/a"}},                                        // fine
		{ImportPath: "internal/c"}, // unplaced
	}
	got, _ := problems(l, pkgs)
	want := []string{
		"internal/a (layer 1, core) imports internal/b (layer 2, top): a lower layer must not import a higher one",
		"internal/a/x imports the test helper internal/h outside its tests",
		"internal/c is in no layer: add it to the Layers list at the top of docs/architecture.md",
		"the Layers list names the test helper internal/gone, which does not exist",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
