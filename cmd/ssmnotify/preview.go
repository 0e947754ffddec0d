package main

import "io"

func runPreview(args []string, stdout, stderr io.Writer) int {
	return notYet("preview", stderr)
}
