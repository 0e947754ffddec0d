package main

import "io"

func runInvoke(args []string, stdout, stderr io.Writer) int {
	return notYet("invoke", stderr)
}
