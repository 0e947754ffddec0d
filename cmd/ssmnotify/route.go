package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/payload"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/silence"
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
	// SilencedBy names the ad-hoc silence that holds this delivery back at --now (the router
	// logs outcome silenced instead of sending), with its comment.
	SilencedBy     string `json:"silencedBy,omitempty"`
	SilenceComment string `json:"silenceComment,omitempty"`
}

// runRoute decodes an event file and prints, per notification, where it would be delivered or
// why it would not. It exits 1 on a bad config, an unreadable event or any bad record (after
// printing the good ones).
func runRoute(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFlag := fs.String("config", "", "routing config file (default: the built-in config/ssmnotify.yaml)")
	nowFlag := fs.String("now", "", "RFC 3339 time at which to evaluate silences and mute windows (default: now)")
	storeFlag := fs.String("store", "", "also apply the ad-hoc silences of this store: aws (the deployed table), dynamodb (local, $DYNAMODB_ENDPOINT)")
	silencesFlag := fs.String("silences", "", "also apply the ad-hoc silences in this file (JSON Lines, as `silence query` prints)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ssmnotify route [--config FILE] [--now TIME] [--store aws|dynamodb | --silences FILE] EVENT_FILE   (- reads stdin)")
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
	adhoc, err := routeSilences(*storeFlag, *silencesFlag, now)
	if err != nil {
		fmt.Fprintf(stderr, "ssmnotify route: %v\n", err)
		return 1
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
		if err := enc.Encode(explain(n, set.Decide(n, now), adhoc, now)); err != nil {
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

func explain(n *payload.Notification, d rules.Decision, adhoc []silence.Silence, now time.Time) routeLine {
	line := routeLine{
		Source: n.Source, Kind: n.Kind, CommandID: n.CommandID, DocumentName: n.DocumentName,
		InstanceID: n.InstanceID, InstanceIDs: n.InstanceIDs, Status: n.Status, NonStandard: n.NonStandard,
		EventTime: n.EventTime, Account: n.Account, Region: n.Region,
		Drop: d.Drop, Reason: d.Reason,
	}
	for _, x := range d.Deliveries {
		rd := routeDelivery{Route: x.Route, Destination: x.Destination.Name, Type: x.Destination.Type}
		if sl := silence.Find(adhoc, silence.Target{N: n, Route: x.Route, Destination: x.Destination.Name}, now); sl != nil {
			rd.SilencedBy, rd.SilenceComment = sl.ID, sl.Comment
		}
		line.Deliveries = append(line.Deliveries, rd)
	}
	return line
}

// routeSilences reads the ad-hoc silences route should apply: from a store, or from a file of
// `silence query` lines (config silences in it are skipped: Decide applies those already).
func routeSilences(store, file string, now time.Time) ([]silence.Silence, error) {
	switch {
	case store != "" && file != "":
		return nil, errors.New("--store and --silences: give one")
	case store != "":
		st, err := openSilenceStore(store, os.Getenv)
		if err != nil {
			return nil, err
		}
		return st.Silences(context.Background(), now)
	case file != "":
		raw, err := readInput(file)
		if err != nil {
			return nil, err
		}
		var out []silence.Silence
		for i, line := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var s silence.Silence
			if err := json.Unmarshal(line, &s); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", file, i+1, err)
			}
			if !s.ReadOnly() {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, nil
}
