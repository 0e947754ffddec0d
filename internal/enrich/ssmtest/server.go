// Package ssmtest is a local stand-in for the AWS APIs enrichment reads: Systems Manager's
// GetCommandInvocation, ListCommandInvocations, ListCommands and DescribeInstancePatchStates
// (JSON 1.1 protocol, X-Amz-Target: AmazonSSM.<operation>) and EC2's DescribeTags (query
// protocol, XML). No local SSM exists, so tests drive the real SDK
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
	GetCommandInvocation        = "GetCommandInvocation"
	ListCommandInvocations      = "ListCommandInvocations"
	ListCommands                = "ListCommands"
	DescribeInstancePatchStates = "DescribeInstancePatchStates"
	DescribeTags                = "DescribeTags"
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
	listed      map[string]Listed     // multi-step invocations, by command ID + "/" + instance ID
	order       []string              // keys of invocations and listed, in the order added
	commands    map[string]Command
	patches     map[string]PatchState
	tags        map[string]string // instance ID -> Name tag
	faults      map[string]*Fault // by operation + "/" + instance ID ("" for any)
	calls       map[string]int
}

// New starts a server on a free loopback port; it stops when the test ends.
func New(tb testing.TB) *Server {
	s := Start()
	tb.Cleanup(s.Close)
	return s
}

// Start starts a server on a free loopback port, for use outside tests (`ssmnotify demo`);
// Close stops it.
func Start() *Server {
	s := &Server{
		invocations: map[string]Invocation{},
		listed:      map[string]Listed{},
		commands:    map[string]Command{},
		patches:     map[string]PatchState{},
		tags:        map[string]string{},
		faults:      map[string]*Fault{},
		calls:       map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// AddInvocation makes GetCommandInvocation answer inv for its command and instance.
func (s *Server) AddInvocation(inv Invocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := inv.CommandId + "/" + inv.InstanceId
	if _, ok := s.invocations[key]; !ok {
		s.order = append(s.order, key)
	}
	s.invocations[key] = inv
}

// AddListed adds a multi-step invocation: GetCommandInvocation without a step name answers
// InvalidPluginName for it, as SSM does, and ListCommandInvocations lists it.
func (s *Server) AddListed(inv Listed) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := inv.CommandId + "/" + inv.InstanceId
	if _, ok := s.listed[key]; !ok {
		s.order = append(s.order, key)
	}
	s.listed[key] = inv
}

// AddCommand makes ListCommands answer c for its command ID.
func (s *Server) AddCommand(c Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[c.CommandId] = c
}

// SetPatchState makes DescribeInstancePatchStates answer p for its instance.
func (s *Server) SetPatchState(p PatchState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.patches[p.InstanceId] = p
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
	case target == "AmazonSSM."+ListCommandInvocations:
		s.listCommandInvocations(w, r, body)
	case target == "AmazonSSM."+ListCommands:
		s.listCommands(w, r, body)
	case target == "AmazonSSM."+DescribeInstancePatchStates:
		s.describeInstancePatchStates(w, r, body)
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
	listed, multi := s.listed[in.CommandId+"/"+in.InstanceId]
	s.mu.Unlock()
	if multi {
		var found bool
		inv, found = listed.step(in.PluginName)
		if !found {
			// SSM's answer for a multi-step document asked without (or with a wrong) step name.
			ssmError(w, http.StatusBadRequest, "InvalidPluginName", "")
			return
		}
		ok = true
	}
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

// Listed is one instance's invocation as ListCommandInvocations returns it with Details: every
// step (plugin) with its status, exit code and combined output. The JSON names are AWS's.
type Listed struct {
	CommandId              string                  `json:"CommandId"`
	InstanceId             string                  `json:"InstanceId"`
	DocumentName           string                  `json:"DocumentName"`
	RequestedDateTime      float64                 `json:"RequestedDateTime"`
	Status                 string                  `json:"Status"`
	StatusDetails          string                  `json:"StatusDetails"`
	StandardOutputUrl      string                  `json:"StandardOutputUrl"`
	StandardErrorUrl       string                  `json:"StandardErrorUrl"`
	CloudWatchOutputConfig *CloudWatchOutputConfig `json:"CloudWatchOutputConfig,omitempty"`
	CommandPlugins         []Plugin                `json:"CommandPlugins"`
}

// Plugin is one step of a Listed invocation.
type Plugin struct {
	Name               string `json:"Name"`
	Status             string `json:"Status"`
	StatusDetails      string `json:"StatusDetails"`
	ResponseCode       int    `json:"ResponseCode"`
	Output             string `json:"Output"`
	OutputS3BucketName string `json:"OutputS3BucketName,omitempty"`
	OutputS3KeyPrefix  string `json:"OutputS3KeyPrefix,omitempty"`
	StandardOutputUrl  string `json:"StandardOutputUrl"`
	StandardErrorUrl   string `json:"StandardErrorUrl"`
}

// step is GetCommandInvocation's answer for one named step.
func (l Listed) step(name string) (Invocation, bool) {
	if name == "" && len(l.CommandPlugins) == 1 {
		name = l.CommandPlugins[0].Name
	}
	for _, p := range l.CommandPlugins {
		if p.Name != name {
			continue
		}
		stdout, stderr, _ := strings.Cut(p.Output, "\n----------ERROR-------\n")
		return Invocation{
			CommandId: l.CommandId, InstanceId: l.InstanceId, DocumentName: l.DocumentName, PluginName: p.Name,
			ResponseCode: p.ResponseCode, Status: p.Status, StatusDetails: p.StatusDetails,
			StandardOutputContent: stdout, StandardErrorContent: stderr,
			StandardOutputUrl: p.StandardOutputUrl, StandardErrorUrl: p.StandardErrorUrl,
			CloudWatchOutputConfig: l.CloudWatchOutputConfig,
		}, true
	}
	return Invocation{}, false
}

// listedOf is a single-step invocation as ListCommandInvocations shows it.
func listedOf(inv Invocation) Listed {
	out := inv.StandardOutputContent
	if inv.StandardErrorContent != "" {
		out += "\n----------ERROR-------\n" + inv.StandardErrorContent
	}
	if len(out) > 2500 {
		out = out[:2500] + "\n---Output truncated---"
	}
	return Listed{
		CommandId: inv.CommandId, InstanceId: inv.InstanceId, DocumentName: inv.DocumentName,
		Status: inv.Status, StatusDetails: inv.StatusDetails,
		StandardOutputUrl: inv.StandardOutputUrl, StandardErrorUrl: inv.StandardErrorUrl,
		CloudWatchOutputConfig: inv.CloudWatchOutputConfig,
		CommandPlugins: []Plugin{{
			Name: inv.PluginName, Status: inv.Status, StatusDetails: inv.StatusDetails, ResponseCode: inv.ResponseCode,
			Output: out, StandardOutputUrl: inv.StandardOutputUrl, StandardErrorUrl: inv.StandardErrorUrl,
		}},
	}
}

// Command is a ListCommands entry (the counts part). The JSON names are AWS's.
type Command struct {
	CommandId             string   `json:"CommandId"`
	DocumentName          string   `json:"DocumentName"`
	Status                string   `json:"Status"`
	InstanceIds           []string `json:"InstanceIds,omitempty"`
	TargetCount           int      `json:"TargetCount"`
	CompletedCount        int      `json:"CompletedCount"`
	ErrorCount            int      `json:"ErrorCount"`
	DeliveryTimedOutCount int      `json:"DeliveryTimedOutCount"`
	OutputS3BucketName    string   `json:"OutputS3BucketName,omitempty"`
	OutputS3KeyPrefix     string   `json:"OutputS3KeyPrefix,omitempty"`
}

// PatchState is a DescribeInstancePatchStates entry. The JSON names are AWS's.
type PatchState struct {
	InstanceId                  string  `json:"InstanceId"`
	PatchGroup                  string  `json:"PatchGroup"`
	BaselineId                  string  `json:"BaselineId"`
	Operation                   string  `json:"Operation"`
	OperationStartTime          float64 `json:"OperationStartTime"`
	OperationEndTime            float64 `json:"OperationEndTime"`
	InstalledCount              int     `json:"InstalledCount"`
	InstalledOtherCount         int     `json:"InstalledOtherCount"`
	InstalledPendingRebootCount int     `json:"InstalledPendingRebootCount"`
	MissingCount                int     `json:"MissingCount"`
	FailedCount                 int     `json:"FailedCount"`
	NotApplicableCount          int     `json:"NotApplicableCount"`
}

// RecordedListed returns a recorded multi-step invocation: "patch-linux-failed"
// (AWS-RunPatchBaseline on Linux: PatchWindows and PatchMacOS skipped, PatchLinux failed with
// exit 100).
func RecordedListed(tb testing.TB, name string) Listed {
	tb.Helper()
	l, err := LoadListed(name)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// LoadRecorded and LoadListed read recorded answers outside tests.
func LoadRecorded(name string) (Invocation, error) {
	var inv Invocation
	return inv, load(name, &inv)
}

// LoadListed reads a recorded multi-step invocation.
func LoadListed(name string) (Listed, error) {
	var l Listed
	return l, load(name, &l)
}

func load(name string, v any) error {
	raw, err := recorded.ReadFile("recorded/" + name + ".json")
	if err != nil {
		return fmt.Errorf("ssmtest: no recorded response %q", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("ssmtest: %s: %w", name, err)
	}
	return nil
}

// decodeSSM reads a JSON request and applies the fault for op; it reports false when the answer
// was written (a fault) or the client gave up.
func (s *Server) decodeSSM(w http.ResponseWriter, r *http.Request, body []byte, op, instance string, in any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		ssmError(w, http.StatusBadRequest, "SerializationException", "unexpected Content-Type "+ct)
		return false
	}
	if err := json.Unmarshal(body, in); err != nil {
		ssmError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return false
	}
	f := s.fault(op, instance)
	if !wait(r, f) {
		return false
	}
	if f != nil && f.Error != "" {
		status := http.StatusBadRequest
		if f.Error == "InternalServerError" {
			status = http.StatusInternalServerError
		}
		ssmError(w, status, f.Error, errorMessage(f.Error))
		return false
	}
	return true
}

func ssmAnswer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-4000-8000-000000000000")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) listCommandInvocations(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct {
		CommandId, InstanceId string
		Details               bool
		Filters               []struct{ Key, Value string } `json:"Filters"`
		MaxResults            int
	}
	if !s.decodeSSM(w, r, body, ListCommandInvocations, "", &in) {
		return
	}
	s.mu.Lock()
	var out []Listed
	for _, key := range s.order {
		l, ok := s.listed[key]
		if !ok {
			l = listedOf(s.invocations[key])
		}
		if in.CommandId != "" && l.CommandId != in.CommandId || in.InstanceId != "" && l.InstanceId != in.InstanceId {
			continue
		}
		keep := true
		for _, f := range in.Filters {
			if f.Key == "Status" && f.Value != l.Status && f.Value != l.StatusDetails {
				keep = false
			}
		}
		if !keep {
			continue
		}
		if !in.Details {
			l.CommandPlugins = nil
		}
		out = append(out, l)
	}
	s.mu.Unlock()
	if in.MaxResults > 0 && len(out) > in.MaxResults {
		out = out[:in.MaxResults]
	}
	ssmAnswer(w, map[string]any{"CommandInvocations": out})
}

func (s *Server) listCommands(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct{ CommandId string }
	if !s.decodeSSM(w, r, body, ListCommands, "", &in) {
		return
	}
	s.mu.Lock()
	c, ok := s.commands[in.CommandId]
	s.mu.Unlock()
	out := []Command{}
	if ok {
		out = append(out, c)
	}
	ssmAnswer(w, map[string]any{"Commands": out})
}

func (s *Server) describeInstancePatchStates(w http.ResponseWriter, r *http.Request, body []byte) {
	var in struct{ InstanceIds []string }
	if !s.decodeSSM(w, r, body, DescribeInstancePatchStates, "", &in) {
		return
	}
	s.mu.Lock()
	out := []PatchState{}
	for _, id := range in.InstanceIds {
		if p, ok := s.patches[id]; ok {
			out = append(out, p)
		}
	}
	s.mu.Unlock()
	ssmAnswer(w, map[string]any{"InstancePatchStates": out})
}
