package main

import "io"

func runDecode(args []string, stdout, stderr io.Writer) int {
	return notYet("decode", stderr)
}
