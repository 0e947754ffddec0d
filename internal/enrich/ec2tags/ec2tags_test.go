package ec2tags_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ssmnotify/ssmnotify/internal/enrich/ec2tags"
	"github.com/ssmnotify/ssmnotify/internal/enrich/ssmtest"
)

func TestNameTags(t *testing.T) {
	srv := ssmtest.New(t)
	srv.SetTag("i-0aaa", "web-01")
	srv.SetTag("i-0ccc", "db-01")
	got, err := srv.EC2().NameTags(t.Context(), []string{"i-0aaa", "i-0bbb", "i-0ccc"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["i-0aaa"] != "web-01" || got["i-0ccc"] != "db-01" {
		t.Errorf("NameTags = %v", got)
	}
	if srv.Calls(ssmtest.DescribeTags) != 1 {
		t.Errorf("%d DescribeTags calls, want 1", srv.Calls(ssmtest.DescribeTags))
	}
}

func TestNameTagsError(t *testing.T) {
	srv := ssmtest.New(t)
	srv.SetFault(ssmtest.DescribeTags, "", ssmtest.Fault{Error: "UnauthorizedOperation"})
	_, err := srv.EC2().NameTags(t.Context(), []string{"i-0aaa"})
	var e *ec2tags.Error
	if !errors.As(err, &e) || e.Code != "UnauthorizedOperation" || e.Status != http.StatusBadRequest {
		t.Errorf("err = %v, want EC2's UnauthorizedOperation", err)
	}
}

// TestSignedRequest checks the request as EC2 would read it: a SigV4-signed form POST for the
// ec2 service in the client's region, naming the instances and the Name key.
func TestSignedRequest(t *testing.T) {
	var form url.Values
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(body))
		auth = r.Header.Get("Authorization")
		io.WriteString(w, `<DescribeTagsResponse><tagSet><item><resourceId>i-1</resourceId><key>Name</key><value>a &amp; b</value></item></tagSet></DescribeTagsResponse>`)
	}))
	defer srv.Close()
	c := &ec2tags.Client{Region: "eu-west-1", Endpoint: srv.URL, HTTP: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         func() time.Time { return time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC) }}
	got, err := c.NameTags(t.Context(), []string{"i-1", "i-2"})
	if err != nil || got["i-1"] != "a & b" {
		t.Fatalf("NameTags = %v, %v", got, err)
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260504/eu-west-1/ec2/aws4_request") || strings.Contains(auth, "secret") {
		t.Errorf("Authorization: %q", auth)
	}
	want := url.Values{"Action": {"DescribeTags"}, "Version": {ec2tags.APIVersion}, "Filter.1.Name": {"resource-id"},
		"Filter.1.Value.1": {"i-1"}, "Filter.1.Value.2": {"i-2"}, "Filter.2.Name": {"key"}, "Filter.2.Value.1": {"Name"}}
	if form.Encode() != want.Encode() {
		t.Errorf("form:\n got %s\nwant %s", form.Encode(), want.Encode())
	}
}

func TestNew(t *testing.T) {
	if c := ec2tags.New(aws.Config{Region: "cn-north-1"}); c.Endpoint != "https://ec2.cn-north-1.amazonaws.com.cn" {
		t.Errorf("endpoint %s", c.Endpoint)
	}
	if c := ec2tags.New(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:1")}); c.Endpoint != "http://127.0.0.1:1" {
		t.Errorf("endpoint %s", c.Endpoint)
	}
}
