// Package testenv starts the real local servers that tests need — dynalite for DynamoDB,
// aws-ses-v2-local for SES — on free loopback ports, and stops them when the test ends.
//
// The servers are Node packages pinned in package.json and installed by `npm ci` (which
// `make test` runs). Outside CI a missing tool skips the test with the command that fixes it;
// under CI=true it fails, so nothing is silently skipped there.
package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI (CI=true), where nothing may be skipped.
func InCI() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// ModuleRoot returns the directory holding go.mod, found by walking up from the working
// directory (go test runs in the package's folder).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// NeedTool returns the path of a Node tool installed under node_modules/.bin, or skips (fails
// under CI) with the command that installs it.
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	bin := filepath.Join(ModuleRoot(tb), "node_modules", ".bin", name)
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("%s is not installed: run `npm ci` in the repository root (or `make test`, which does)", name)
		if InCI() {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		msg := "node is not on PATH: install Node 20 to run this test"
		if InCI() {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return bin
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen on a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Server is a local server process started for a test.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL  string
	Port int

	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
}

// Logs returns what the server printed so far, for failure messages.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// start runs bin with args (which may use the placeholder {port}), waits until the port accepts
// HTTP requests, and stops the process at the end of the test.
func start(tb testing.TB, bin string, args ...string) *Server {
	tb.Helper()
	var lastErr error
	// A port picked free can be taken before the server binds it; try a few.
	for attempt := 0; attempt < 3; attempt++ {
		port := FreePort(tb)
		s := &Server{Port: port, URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
		real := make([]string, len(args))
		for i, a := range args {
			real[i] = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
		}
		cmd := exec.Command(bin, real...)
		cmd.Dir = ModuleRoot(tb)
		cmd.Env = append(os.Environ(), "NO_UPDATE_NOTIFIER=1")
		out, err := cmd.StdoutPipe()
		if err != nil {
			tb.Fatalf("pipe: %v", err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start %s: %v", bin, err)
		}
		s.cmd = cmd
		exited := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				s.mu.Lock()
				if s.logs.Len() < 64<<10 {
					s.logs.WriteString(sc.Text())
					s.logs.WriteByte('\n')
				}
				s.mu.Unlock()
			}
			_, _ = io.Copy(io.Discard, out)
			_ = cmd.Wait()
			close(exited)
		}()
		if lastErr = waitHTTP(s.URL, exited, 30*time.Second); lastErr == nil {
			tb.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return s
		}
		_ = cmd.Process.Kill()
		<-exited
		lastErr = fmt.Errorf("%w\n%s", lastErr, s.Logs())
	}
	tb.Fatalf("start %s: %v", filepath.Base(bin), lastErr)
	return nil
}

// waitHTTP polls url until anything answers over HTTP, the process exits, or the deadline passes.
func waitHTTP(url string, exited <-chan struct{}, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("server exited before it answered on %s", url)
		case <-ctx.Done():
			return fmt.Errorf("server did not answer on %s within %s", url, within)
		case <-tick.C:
		}
	}
}

// Dynalite starts an in-memory dynalite (a DynamoDB-compatible server) and returns it. Tables are
// created ACTIVE at once.
func Dynalite(tb testing.TB) *Server {
	tb.Helper()
	bin := NeedTool(tb, "dynalite")
	return start(tb, bin, "--host", "127.0.0.1", "--port", "{port}", "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
}

// SESLocal starts aws-ses-v2-local, a local SES whose GET /store returns every message sent.
func SESLocal(tb testing.TB) *Server {
	tb.Helper()
	bin := NeedTool(tb, "aws-ses-v2-local")
	return start(tb, bin, "--host", "127.0.0.1", "--port", "{port}")
}
