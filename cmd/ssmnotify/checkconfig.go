package main

import "io"

func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	return notYet("check-config", stderr)
}
