package main

import (
	"fmt"
	"io"
)

// runInvokeDigest runs the digest handler locally (issue 7).
func runInvokeDigest(f *invokeFlags, stdout, stderr io.Writer) int {
	_ = f
	_ = stdout
	fmt.Fprintln(stderr, "ssmnotify invoke digest: not implemented yet (issue 7)")
	return 2
}
