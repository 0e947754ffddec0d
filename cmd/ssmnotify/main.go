// Command ssmnotify is the local CLI: decode events, explain routing, preview and invoke the real
// Lambda handlers, and check a config file — all without an AWS account.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand. run gets the arguments after the subcommand's name and returns the
// process exit status; it writes results to stdout and diagnostics to stderr.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"decode":       {"decode a Lambda event file into normalized notifications (JSON Lines)", runDecode},
	"route":        {"explain which routes and destinations each notification goes to", runRoute},
	"check-config": {"validate a config file and report every problem with its line", runCheckConfig},
	"preview":      {"decode, route and render without sending; write Slack JSON and emails", runPreview},
	"invoke":       {"run the real router or digest handler locally", runInvoke},
	"demo":         {"run the router and digest over events/ with embedded defaults", runDemo},
	"redrive":      {"replay the dead-letter queue into the router (dry run unless --apply)", runRedrive},
	"replay":       {"replay a timeline of events through the router on a simulated clock; write every call", runReplay},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ssmnotify: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ssmnotify COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'ssmnotify COMMAND -h' for a command's flags.")
}

// readInput reads a file argument, or standard input for "-".
func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}
