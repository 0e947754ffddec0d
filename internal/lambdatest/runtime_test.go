package lambdatest_test

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssmnotify/ssmnotify/internal/lambdatest"
)

func TestRuntimeRunsARealFunction(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/echo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	rt := lambdatest.NewRuntime(t)
	p := rt.Start(t, bin, t.TempDir())

	res, err := rt.Invoke(t.Context(), []byte(`{"hello":"world"}`), 5*time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	if string(res.Response) != `{"hello":"world"}` || res.Error != nil {
		t.Errorf("response %s, error %+v", res.Response, res.Error)
	}
	res, err = rt.Invoke(t.Context(), []byte(`{"fail":true}`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || res.Error.ErrorMessage != "asked to fail" {
		t.Errorf("want the function's error, got %+v", res)
	}
	if rt.FirstNext().Before(p.Started) {
		t.Error("first /next before the process started")
	}
}
