// Command digest is the ssmnotify digest Lambda function (not wired yet).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ssmnotify digest: not implemented yet")
	os.Exit(1)
}
