// Command router is the ssmnotify router Lambda function (not wired yet).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ssmnotify router: not implemented yet")
	os.Exit(1)
}
