// Package ssmtest is a local stand-in for the two AWS APIs enrichment reads: Systems Manager's
// GetCommandInvocation (JSON 1.1 protocol, X-Amz-Target: AmazonSSM.GetCommandInvocation) and
// EC2's DescribeTags (query protocol, XML). No local SSM exists, so tests drive the real SDK
// clients (Server.SSM, Server.EC2) against this server, which answers with recorded-shape
// responses and can be told to be slow, to throttle, or to fail.
package ssmtest

import (
	"embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssmnotify/ssmnotify/internal/enrich/ec2tags"
)

// Operation names, as Fault and Calls take them.
const (
	GetCommandInvocation = "GetCommandInvocation"
	DescribeTags         = "DescribeTags"
)

// Region is the region the clients are configured for.
const Region = "us-east-1"

// Invocation is a GetCommandInvocation response body. The JSON names are AWS's.
type Invocation struct {
	CommandId              string                  `json:"CommandId"`
	InstanceId             string                  `json:"InstanceId"`
	Comment                string                  `json:"Comment"`
	DocumentName           string                  `json:"DocumentName"`
	DocumentVersion        string                  `json:"DocumentVersion"`
	PluginName             string                  `json:"PluginName"`
	ResponseCode           int                     `json:"ResponseCode"`
	ExecutionStartDateTime string                  `json:"ExecutionStartDateTime"`
	ExecutionElapsedTime   string                  `json:"ExecutionElapsedTime"`
	ExecutionEndDateTime   string                  `json:"ExecutionEndDateTime"`
	Status                 string                  `json:"Status"`
	StatusDetails          string                  `json:"StatusDetails"`
	StandardOutputContent  string                  `json:"StandardOutputContent"`
	StandardOutputUrl      string                  `json:"StandardOutputUrl"`
	StandardErrorContent   string                  `json:"StandardErrorContent"`
	StandardErrorUrl       string                  `json:"StandardErrorUrl"`
	CloudWatchOutputConfig *CloudWatchOutputConfig `json:"CloudWatchOutputConfig,omitempty"`
}

// CloudWatchOutputConfig is the CloudWatch Logs part of an Invocation.
type CloudWatchOutputConfig struct {
	CloudWatchLogGroupName  string `json:"CloudWatchLogGroupName"`
	CloudWatchOutputEnabled bool   `json:"CloudWatchOutputEnabled"`
}

//go:embed recorded/*.json
var recorded embed.FS

// Recorded returns a recorded-shape response: "failed" (exit code 2, stderr, output in S3),
// "execution-timed-out" (stdout only, output in CloudWatch Logs), "delivery-timed-out" (never
// ran: response code -1, no output) or "success".
func Recorded(tb testing.TB, name string) Invocation {
	tb.Helper()
	raw, err := recorded.ReadFile("recorded/" + name + ".json")
	if err != nil {
		tb.Fatalf("ssmtest: no recorded response %q", name)
	}
	var inv Invocation
	if err := json.Unmarshal(raw, &inv); err != nil {
		tb.Fatalf("ssmtest: %s: %v", name, err)
	}
	return inv
}

// Fault is what the server does to a request instead of, or before, answering it.
type Fault struct {
	// Delay holds the answer back this long, or until the client gives up.
	Delay time.Duration
	// Error answers with this AWS error code instead: "ThrottlingException",
	// "InvocationDoesNotExist", "InternalServerError" for SSM; "RequestLimitExceeded",
	// "UnauthorizedOperation" for EC2.
	Error string
	// Times limits the fault to the next Times requests; 0 means every request.
	Times int
}

// Server is a running stand-in. It is safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	invocations map[string]Invocation // by command ID + "/" + instance ID
	tags        map[string]string     // instance ID -> Name tag
	faults      map[string]*Fault     // by operation + "/" + instance ID ("" for any)
	calls       map[string]int
}

// New starts a server on a free loopback port; it stops when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{
		invocations: map[string]Invocation{},
		tags:        map[string]string{},
		faults:      map[string]*Fault{},
		calls:       map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// AddInvocation makes GetCommandInvocation answer inv for its command and instance.
func (s *Server) AddInvocation(inv Invocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invocations[inv.CommandId+"/"+inv.InstanceId] = inv
}

// SetTag gives an instance a Name tag.
func (s *Server) SetTag(instanceID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tags[instanceID] = name
}

// SetFault makes op misbehave for requests about instanceID ("" for any request of op).
func (s *Server) SetFault(op, instanceID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op+"/"+instanceID] = &f
}

// Calls is how many requests of op the server has received.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// SSM is the real SDK client pointed at the server, with static credentials.
func (s *Server) SSM() *ssm.Client {
	return ssm.New(ssm.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTPClient:   s.srv.Client(),
	})
}

// EC2 is the router's DescribeTags client pointed at the server, with static credentials.
func (s *Server) EC2() *ec2tags.Client {
	return &ec2tags.Client{
		Region:      Region,
		Endpoint:    s.srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		HTTP:        s.srv.Client(),
	}
}

// fault returns and consumes the fault for op and instance, if any.
func (s *Server) fault(op, instance string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	for _, key := range []string{op + "/" + instance, op + "/"} {
		f := s.faults[key]
		if f == nil {
			continue
		}
		out := *f
		if f.Times > 0 {
			if f.Times--; f.Times == 0 {
				delete(s.faults, key)
			}
		}
		return &out
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		http.Error(w, "request is not signed", http.StatusForbidden)
		return
	}
	switch target := r.Header.Get("X-Amz-Target"); {
	case target == "AmazonSSM."+GetCommandInvocation:
		s.getCommandInvocation(w, r, body)
	case target != "":
		ssmError(w, http.StatusBadRequest, "UnknownOperationException", "ssmtest does not implement "+target)
	default:
		s.ec2Query(w, r, body)
	}
}

// wait applies a fault's delay; it reports false when the client gave up first.
func wait(r *http.Request, f *Fault) bool {
	if f == nil || f.Delay <= 0 {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) getCommandInvocation(w http.ResponseWriter, r *http.Request, body []byte) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		ssmError(w, http.StatusBadRequest, "SerializationException", "unexpected Content-Type "+ct)
		return
	}
	var in struct{ CommandId, InstanceId, PluginName string }
	if err := json.Unmarshal(body, &in); err != nil {
		ssmError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	f := s.fault(GetCommandInvocation, in.InstanceId)
	if !wait(r, f) {
		return
	}
	if f != nil && f.Error != "" {
		status := http.StatusBadRequest
		if f.Error == "InternalServerError" {
			status = http.StatusInternalServerError
		}
		ssmError(w, status, f.Error, errorMessage(f.Error))
		return
	}
	s.mu.Lock()
	inv, ok := s.invocations[in.CommandId+"/"+in.InstanceId]
	s.mu.Unlock()
	if !ok {
		ssmError(w, http.StatusBadRequest, "InvocationDoesNotExist", "")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-4000-8000-000000000000")
	_ = json.NewEncoder(w).Encode(inv)
}

func errorMessage(code string) string {
	switch code {
	case "ThrottlingException":
		return "Rate exceeded"
	case "RequestLimitExceeded":
		return "Request limit exceeded."
	}
	return code
}

// ssmError writes an error the way the JSON protocol does.
func ssmError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-4000-8000-000000000001")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// ec2Query answers EC2's query protocol: a form-encoded POST, an XML answer.
func (s *Server) ec2Query(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		ec2Error(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	if form.Get("Action") != DescribeTags {
		ec2Error(w, http.StatusBadRequest, "InvalidAction", "ssmtest does not implement "+form.Get("Action"))
		return
	}
	// Filters: Filter.N.Name and Filter.N.Value.M.
	filters := map[string][]string{}
	for i := 1; ; i++ {
		name := form.Get(fmt.Sprintf("Filter.%d.Name", i))
		if name == "" {
			break
		}
		for j := 1; ; j++ {
			v := form.Get(fmt.Sprintf("Filter.%d.Value.%d", i, j))
			if v == "" {
				break
			}
			filters[name] = append(filters[name], v)
		}
	}
	first := ""
	if ids := filters["resource-id"]; len(ids) > 0 {
		first = ids[0]
	}
	f := s.fault(DescribeTags, first)
	if !wait(r, f) {
		return
	}
	if f != nil && f.Error != "" {
		status := http.StatusBadRequest
		if f.Error == "RequestLimitExceeded" {
			status = http.StatusServiceUnavailable
		}
		ec2Error(w, status, f.Error, errorMessage(f.Error))
		return
	}
	type item struct {
		ResourceID   string `xml:"resourceId"`
		ResourceType string `xml:"resourceType"`
		Key          string `xml:"key"`
		Value        string `xml:"value"`
	}
	out := struct {
		XMLName   xml.Name `xml:"DescribeTagsResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		RequestID string   `xml:"requestId"`
		Items     []item   `xml:"tagSet>item"`
	}{Xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/", RequestID: "00000000-0000-4000-8000-000000000002"}
	keys := filters["key"]
	s.mu.Lock()
	for _, id := range filters["resource-id"] {
		name, ok := s.tags[id]
		if !ok || (len(keys) > 0 && !contains(keys, "Name")) {
			continue
		}
		out.Items = append(out.Items, item{ResourceID: id, ResourceType: "instance", Key: "Name", Value: name})
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(out)
}

func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	type e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Response"`
		Errors    []e      `xml:"Errors>Error"`
		RequestID string   `xml:"RequestID"`
	}{Errors: []e{{code, msg}}, RequestID: "00000000-0000-4000-8000-000000000003"})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
