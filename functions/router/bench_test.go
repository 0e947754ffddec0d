package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/appenv"
	"github.com/ssmnotify/ssmnotify/internal/lambdatest"
)

// BenchmarkBootstrap reports what the Lambda package costs: the size of the linux/arm64 stripped
// bootstrap (`make build`'s flags), and the cold start of the host build under the test Runtime
// API — from process start to its first /next call, the init Lambda bills.
func BenchmarkBootstrap(b *testing.B) {
	arm := filepath.Join(b.TempDir(), "bootstrap-arm64")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", arm, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	st, err := os.Stat(arm)
	if err != nil {
		b.Fatal(err)
	}
	bin, root := buildBootstrap(b)
	var total time.Duration
	n := 0
	for b.Loop() {
		rt := lambdatest.NewRuntime(b)
		p := rt.Start(b, bin, root, appenv.TableName+"=bench", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x")
		deadline := time.Now().Add(10 * time.Second)
		for rt.FirstNext().IsZero() {
			if time.Now().After(deadline) {
				b.Fatalf("no /next within 10 s:\n%s", p.Output())
			}
			time.Sleep(100 * time.Microsecond) // polling a process we do not control
		}
		total += rt.FirstNext().Sub(p.Started)
		n++
		_ = p.Cmd.Process.Kill()
		<-p.Exited
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "MiB-arm64-stripped")
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms-cold-start")
}
