// Command cdk is the ssmnotify CDK app (not written yet).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ssmnotify CDK app: not implemented yet (see issue 8)")
	os.Exit(1)
}
