package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/channelview"
)

// localRun is the folder of one local run (demo, invoke, replay): out/<command>-<time>/, never
// reused, with out/latest pointing at it, so that no run overwrites another's files.
type localRun struct {
	Base string // the --out folder, e.g. "out"
	Dir  string // Base/<command>-<time>
}

// startRun creates a new folder for a run of command under base and points base/latest at it.
// Two runs in the same second get "-2", "-3", … rather than sharing a folder. Every local
// command that writes files (demo, invoke, replay) calls it, then finishRun.
func startRun(base, command string, now time.Time) (*localRun, error) {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	name := command + "-" + now.UTC().Format("20060102-150405")
	for i := 1; ; i++ {
		try := name
		if i > 1 {
			try = fmt.Sprintf("%s-%d", name, i)
		}
		dir := filepath.Join(base, try)
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, fs.ErrExist) && i < 1000 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("output folder: %w", err)
		}
		r := &localRun{Base: base, Dir: dir}
		return r, r.pointLatest(try)
	}
}

// pointLatest replaces base/latest with a symbolic link to name, atomically (a new link renamed
// over the old one). A "latest" that is a real folder (not a link) is left alone: it is not ours.
func (r *localRun) pointLatest(name string) error {
	latest := filepath.Join(r.Base, "latest")
	if fi, err := os.Lstat(latest); err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("output folder: %s exists and is not a link; move it away", latest)
	}
	tmp := latest + ".new"
	_ = os.Remove(tmp)
	if err := os.Symlink(name, tmp); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	if err := os.Rename(tmp, latest); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	return nil
}

// Path is a file or folder inside the run's folder.
func (r *localRun) Path(elem ...string) string {
	return filepath.Join(append([]string{r.Dir}, elem...)...)
}

// finishRun writes the channel view (index.html) of what the run wrote and says where to look.
func (r *localRun) finishRun(stdout io.Writer) error {
	v, err := channelview.WriteIndex(r.Dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "== wrote %s/ (also %s/)\n", r.Dir, filepath.Join(r.Base, "latest"))
	fmt.Fprintf(stdout, "   open %s in a browser: each Slack channel as Slack shows it (%d messages, with their history and threads) and each email (%d)\n",
		filepath.Join(r.Base, "latest", channelview.IndexFile), countMessages(v), len(v.Emails))
	return nil
}

func countMessages(v *channelview.Run) int {
	n := 0
	for _, c := range v.Channels {
		n += len(c.Messages)
	}
	return n
}
