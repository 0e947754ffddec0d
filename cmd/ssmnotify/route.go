package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
)

// routeLine is what `ssmnotify route` prints per notification: its key fields and the decision,
// in the spirit of `amtool config routes test`. Field names follow `ssmnotify decode`.
type routeLine struct {
	Source       payload.Source `json:"source"`
	Kind         payload.Kind   `json:"kind"`
	CommandID    string         `json:"commandId"`
	DocumentName string         `json:"documentName"`
	InstanceID   string         `json:"instanceId,omitempty"`
	InstanceIDs  []string       `json:"instanceIds,omitempty"`
	Status       payload.Status `json:"status"`
	NonStandard  bool           `json:"nonStandard,omitempty"`
	EventTime    time.Time      `json:"eventTime"`
	Account      string         `json:"account,omitempty"`
	Region       string         `json:"region,omitempty"`

	Deliveries []routeDelivery  `json:"deliveries,omitempty"`
	Drop       rules.DropReason `json:"drop,omitempty"`
	// Reason says why it was dropped or, when delivered, which matching routes held it back.
	Reason string `json:"reason,omitempty"`
}

type routeDelivery struct {
	Route       string                `json:"route"`
	Destination string                `json:"destination"`
	Type        rules.DestinationType `json:"type"`
}

// runRoute decodes an event file and prints, per notification, where it would be delivered or
// why it would not. It exits 1 on a bad config, an unreadable event or any bad record (after
// printing the good ones).
func runRoute(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFlag := fs.String("config", "", "routing config file (default: the built-in config/ssmnotify.yaml)")
	nowFlag := fs.String("now", "", "RFC 3339 time at which to evaluate silences and mute windows (default: now)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ssmnotify route [--config FILE] [--now TIME] EVENT_FILE   (- reads stdin)")
		fs.PrintDefaults()
	}
	pos, ok := parseInterspersed(fs, args)
	if !ok {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify route: %v\n", err)
		return 2
	}
	set := rules.Default()
	if *configFlag != "" {
		if set, err = loadConfig(*configFlag); err != nil {
			var ce *rules.ConfigError
			if errors.As(err, &ce) {
				fmt.Fprintf(stderr, "ssmnotify route: invalid config (%s):\n%v\n", plural(len(ce.Problems), "problem"), err)
			} else {
				fmt.Fprintf(stderr, "ssmnotify route: %v\n", err)
			}
			return 1
		}
	}
	raw, err := readInput(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify route: %v\n", err)
		return 1
	}
	recs := payload.Decode(raw)
	ns, errs := recs.Notifications(), recs.Errors()
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range ns {
		n := &ns[i]
		if err := enc.Encode(explain(n, set.Decide(n, now))); err != nil {
			fmt.Fprintf(stderr, "ssmnotify route: %v\n", err)
			return 1
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "ssmnotify route: %v\n", err)
		return 1
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "%s: %v\n", pos[0], e)
	}
	if len(errs) > 0 {
		return 1
	}
	return 0
}

func explain(n *payload.Notification, d rules.Decision) routeLine {
	line := routeLine{
		Source: n.Source, Kind: n.Kind, CommandID: n.CommandID, DocumentName: n.DocumentName,
		InstanceID: n.InstanceID, InstanceIDs: n.InstanceIDs, Status: n.Status, NonStandard: n.NonStandard,
		EventTime: n.EventTime, Account: n.Account, Region: n.Region,
		Drop: d.Drop, Reason: d.Reason,
	}
	for _, x := range d.Deliveries {
		line.Deliveries = append(line.Deliveries, routeDelivery{Route: x.Route, Destination: x.Destination.Name, Type: x.Destination.Type})
	}
	return line
}
