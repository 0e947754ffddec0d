// Command benchtable reads `go test -bench` output on stdin and prints every figure as one table
// (`make bench`): benchmark, figure, value, so ratios can be compared within one run.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// benchLine matches "BenchmarkName-2   123   456 ns/op   7.8 unit ...".
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

func main() {
	type row struct{ bench, pkg, metric, value string }
	var rows []row
	pkg := ""
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	failed := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: github.com/ssmnotify/ssmnotify/")
		case strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL"):
			failed = true
			fmt.Fprintln(os.Stderr, line)
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			rows = append(rows, row{m[1], pkg, f[i+1], f[i]})
		}
	}
	wb, wm := len("benchmark"), len("figure")
	for _, r := range rows {
		wb = max(wb, len(r.pkg)+1+len(r.bench))
		wm = max(wm, len(r.metric))
	}
	fmt.Printf("%-*s  %-*s  %s\n", wb, "benchmark", wm, "figure", "value")
	fmt.Printf("%s  %s  %s\n", strings.Repeat("-", wb), strings.Repeat("-", wm), strings.Repeat("-", 12))
	for _, r := range rows {
		fmt.Printf("%-*s  %-*s  %s\n", wb, r.pkg+" "+r.bench, wm, r.metric, r.value)
	}
	if failed {
		os.Exit(1)
	}
}
