// Package ec2tags reads instances' Name tags with EC2's DescribeTags, the one EC2 call
// ssmnotify makes. It speaks EC2's query protocol itself (a signed form POST, an XML answer)
// instead of linking the SDK's EC2 client: that package alone takes about two minutes to compile
// on a 2-core machine — more than everything else the CLI and the router link together — for
// one call. Requests are signed with the SDK's own SigV4 signer and credentials.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html
package ec2tags

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// APIVersion is the EC2 API version the requests name.
const APIVersion = "2016-11-15"

// maxPages bounds one lookup: the filter names the instances, so one page (up to 1,000 tags)
// normally answers it.
const maxPages = 10

// Client calls DescribeTags.
type Client struct {
	Region      string
	Endpoint    string // e.g. https://ec2.eu-west-1.amazonaws.com; a local server in tests
	Credentials aws.CredentialsProvider
	HTTP        interface {
		Do(*http.Request) (*http.Response, error)
	}
	Now func() time.Time
}

// New returns a Client for cfg's region, credentials, HTTP client and base endpoint.
func New(cfg aws.Config) *Client {
	c := &Client{Region: cfg.Region, Credentials: cfg.Credentials, HTTP: cfg.HTTPClient, Endpoint: Endpoint(cfg.Region)}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		c.Endpoint = *cfg.BaseEndpoint
	}
	return c
}

// Endpoint is EC2's regional endpoint.
// https://docs.aws.amazon.com/general/latest/gr/ec2-service.html
func Endpoint(region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://ec2." + region + "." + suffix
}

// Error is an error EC2 answered with.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("ec2 DescribeTags: %d %s: %s", e.Status, e.Code, e.Message)
}

// NameTags returns the Name tag of each of ids that has one.
func (c *Client) NameTags(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	form := url.Values{"Action": {"DescribeTags"}, "Version": {APIVersion},
		"Filter.1.Name": {"resource-id"}, "Filter.2.Name": {"key"}, "Filter.2.Value.1": {"Name"}}
	for i, id := range ids {
		form.Set("Filter.1.Value."+strconv.Itoa(i+1), id)
	}
	for range maxPages {
		page, err := c.call(ctx, form)
		if err != nil {
			return out, err
		}
		for _, t := range page.Tags {
			if t.Key == "Name" {
				out[t.ResourceID] = t.Value
			}
		}
		if page.NextToken == "" {
			return out, nil
		}
		form.Set("NextToken", page.NextToken)
	}
	return out, nil
}

type describeTagsResponse struct {
	Tags []struct {
		ResourceID string `xml:"resourceId"`
		Key        string `xml:"key"`
		Value      string `xml:"value"`
	} `xml:"tagSet>item"`
	NextToken string `xml:"nextToken"`
}

type errorResponse struct {
	Errors []struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Errors>Error"`
}

func (c *Client) call(ctx context.Context, form url.Values) (*describeTagsResponse, error) {
	if c.Credentials == nil {
		return nil, errors.New("ec2 DescribeTags: no credentials")
	}
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeTags: credentials: %w", err)
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+"/", strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeTags: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ec2", c.Region, now().UTC()); err != nil {
		return nil, fmt.Errorf("ec2 DescribeTags: sign: %w", err)
	}
	httpc := c.HTTP
	if httpc == nil {
		httpc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeTags: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeTags: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode)}
		var er errorResponse
		if xml.Unmarshal(raw, &er) == nil && len(er.Errors) > 0 {
			e.Code, e.Message = er.Errors[0].Code, er.Errors[0].Message
		}
		return nil, e
	}
	var out describeTagsResponse
	if err := xml.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("ec2 DescribeTags: answer: %w", err)
	}
	return &out, nil
}
