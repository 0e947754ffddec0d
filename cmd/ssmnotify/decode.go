package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// runDecode prints one JSON object per notification (JSON Lines) and one line on stderr per bad
// record. Exit status 1 if any record was bad; the good ones are printed all the same.
func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ssmnotify decode FILE   (FILE is a Lambda event: SNS, SQS or EventBridge; - reads stdin)")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	raw, err := readInput(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify decode: %v\n", err)
		return 1
	}
	recs := payload.Decode(raw)
	ns, errs := recs.Notifications(), recs.Errors()
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range ns {
		if err := enc.Encode(&ns[i]); err != nil {
			fmt.Fprintf(stderr, "ssmnotify decode: %v\n", err)
			return 1
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "ssmnotify decode: %v\n", err)
		return 1
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Arg(0), e)
	}
	if len(errs) > 0 {
		return 1
	}
	return 0
}
