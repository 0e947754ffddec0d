package main

import "io"

func runRoute(args []string, stdout, stderr io.Writer) int {
	return notYet("route", stderr)
}
