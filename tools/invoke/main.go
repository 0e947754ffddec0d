// Command invoke (`make invoke FUNCTION=router EVENT=events/….json`) runs one function's real
// bootstrap under the AWS Lambda Runtime Interface Emulator — the path `sam local invoke` takes,
// without Docker — against local dynalite, aws-ses-v2-local and the project's local Slack server,
// all on loopback ports; then prints the function's answer and writes what Slack and SES received
// under out/rie-<function>-<time>/ with its channel view (index.html).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/channelview"
	"github.com/ssmnotify/ssmnotify/internal/rules"
	"github.com/ssmnotify/ssmnotify/internal/slacktest"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo"
)

const table = "ssmnotify-local"

func main() {
	function := flag.String("function", "router", "router or digest")
	event := flag.String("event", "events/sns-invocation-failed.json", "the Lambda event file")
	config := flag.String("config", "config/ssmnotify.yaml", "the routing config shipped with the function")
	out := flag.String("out", "out", "where the run's folder is written")
	flag.Parse()
	if err := run(*function, *event, *config, *out); err != nil {
		fmt.Fprintf(os.Stderr, "make invoke: %v\n", err)
		os.Exit(1)
	}
}

func run(function, event, configPath, out string) error {
	if function != "router" && function != "digest" {
		return fmt.Errorf("FUNCTION=%q: want router or digest", function)
	}
	payload, err := os.ReadFile(event)
	if err != nil {
		return err
	}
	set, err := rules.Load(configPath)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, "rie-"+function+"-"+time.Now().UTC().Format("20060102-150405"))
	task := filepath.Join(dir, "task")
	if err := os.MkdirAll(filepath.Join(task, "config"), 0o755); err != nil {
		return err
	}
	cfg, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(task, "config", "ssmnotify.yaml"), cfg, 0o644); err != nil {
		return err
	}
	fmt.Printf("building %s's bootstrap and aws-lambda-rie…\n", function)
	if err := gocmd("build", "-tags", "lambda.norpc", "-trimpath", "-o", filepath.Join(task, "bootstrap"), "./functions/"+function); err != nil {
		return err
	}
	rie, err := output("go", "tool", "-n", "aws-lambda-rie")
	if err != nil {
		return err
	}

	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	start := func(name string, args ...string) (string, error) {
		addr := freeAddr()
		host, port, _ := net.SplitHostPort(addr)
		for i, a := range args {
			args[i] = strings.NewReplacer("{host}", host, "{port}", port, "{addr}", addr).Replace(a)
		}
		cmd := exec.Command(name, args...)
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			return "", fmt.Errorf("start %s: %w (run `npm ci` first for dynalite and aws-ses-v2-local)", name, err)
		}
		procs = append(procs, cmd)
		if err := waitPort(addr); err != nil {
			return "", fmt.Errorf("%s: %w\n%s", name, err, logs.String())
		}
		return "http://" + addr, nil
	}
	bin := filepath.Join("node_modules", ".bin")
	ddb, err := start(filepath.Join(bin, "dynalite"), "--host", "{host}", "--port", "{port}", "--createTableMs", "0")
	if err != nil {
		return err
	}
	ses, err := start(filepath.Join(bin, "aws-ses-v2-local"), "--host", "{host}", "--port", "{port}")
	if err != nil {
		return err
	}
	slack := slacktest.Start()
	defer slack.Close()
	secret := map[string]any{"bot_token": slack.Token, "webhooks": webhooks(set, slack)}
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := json.Marshal(secret)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:ssmnotify-slack", "Name": "ssmnotify-slack", "SecretString": string(s)})
	}))
	defer sm.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	client := dynamo.NewClient(aws.Config{Region: "us-east-1", Credentials: creds}, ddb)
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		return err
	}

	absTask, _ := filepath.Abs(task)
	addr := freeAddr()
	emu := exec.Command(rie, "--log-level", "error", "--runtime-interface-emulator-address", addr, "--runtime-api-address", freeAddr(), filepath.Join(absTask, "bootstrap"))
	emu.Dir = absTask
	emu.Env = append(os.Environ(),
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME=ssmnotify-"+function, "AWS_LAMBDA_FUNCTION_TIMEOUT=30", "LAMBDA_TASK_ROOT="+absTask,
		appenv.TableName+"="+table, appenv.DynamoDBEndpoint+"="+ddb, appenv.SESEndpoint+"="+ses,
		appenv.SlackAPIURL+"="+slack.APIURL, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL,
		appenv.SlackSecretARN+"=arn:aws:secretsmanager:us-east-1:111122223333:secret:ssmnotify-slack",
	)
	logPath := filepath.Join(dir, "function.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	emu.Stdout, emu.Stderr = logFile, logFile
	if err := emu.Start(); err != nil {
		return err
	}
	procs = append(procs, emu)
	if err := waitPort(addr); err != nil {
		return fmt.Errorf("aws-lambda-rie: %w", err)
	}
	fmt.Printf("invoking %s with %s through aws-lambda-rie (POST http://%s/2015-03-31/functions/function/invocations)…\n", function, event, addr)
	resp, err := http.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("→ HTTP %d: %s\n", resp.StatusCode, strings.TrimSpace(string(body)))

	if err := writeReceived(ctx, dir, set, slack, ses); err != nil {
		return err
	}
	view, err := channelview.WriteIndex(dir)
	if err != nil {
		return err
	}
	n := 0
	for _, c := range view.Channels {
		n += len(c.Messages)
	}
	fmt.Printf("== wrote %s/: what local Slack (%d messages) and SES (%d emails) received, the function's log (function.log)\n", dir, n, len(view.Emails))
	fmt.Printf("   open %s in a browser\n", filepath.Join(dir, channelview.IndexFile))
	return nil
}

// webhooks gives each webhook-mode destination a local incoming-webhook URL.
func webhooks(set *rules.Set, slack *slacktest.Server) map[string]string {
	out := map[string]string{}
	for _, d := range set.Destinations() {
		if d.Slack != nil && d.Slack.Mode == rules.SlackWebhook {
			out[d.Name] = slack.WebhookURL(d.Name)
		}
	}
	return out
}

// writeReceived writes every Slack message the local server holds (as it stands after its
// updates) and every email aws-ses-v2-local received, numbered in order, for the channel view.
func writeReceived(ctx context.Context, dir string, set *rules.Set, slack *slacktest.Server, ses string) error {
	seq := 0
	write := func(name string, data []byte) error {
		seq++
		return os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s", seq, name)), data, 0o644)
	}
	seen := map[string]bool{}
	for _, d := range set.Destinations() {
		if d.Slack == nil {
			continue
		}
		channel := d.Slack.Channel
		if d.Slack.Mode == rules.SlackWebhook {
			channel = d.Name
		}
		if seen[channel] {
			continue
		}
		seen[channel] = true
		for _, m := range slack.Messages(channel) {
			body := map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text, "blocks": m.Blocks, "attachments": m.Attachments}
			if m.ThreadTS != "" {
				body["thread_ts"] = m.ThreadTS
				body["reply_broadcast"] = m.ReplyBroadcast
			}
			if m.Webhook {
				delete(body, "channel")
			}
			raw, _ := json.MarshalIndent(body, "", "  ")
			if err := write(fileSafe(channel)+"-chat.postMessage.slack.json", raw); err != nil {
				return err
			}
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ses+"/store", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("read aws-ses-v2-local: %w", err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct{ From, To, Subject, HTML string } `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return fmt.Errorf("read aws-ses-v2-local: %w", err)
	}
	for i, e := range store.Emails {
		name := fmt.Sprintf("ses-%d.email", i+1)
		if err := write(name+".html", []byte(e.HTML)); err != nil {
			return err
		}
		hdr := fmt.Sprintf("From: %s\nTo: %s\nSubject: %s\n", e.From, e.To, e.Subject)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.headers.txt", seq, name)), []byte(hdr), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func gocmd(args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func output(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return strings.TrimSpace(string(out)), err
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// waitPort polls addr until it accepts a connection, for at most 30 s.
func waitPort(addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after 30 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
