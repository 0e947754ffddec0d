package render

import (
	"net/url"
	"strings"

	"github.com/ssmnotify/ssmnotify/internal/payload"
)

// consoleLinks are the console pages a notification points to. An empty field means the link
// could not be built safely (no region, or a value that is not a plausible AWS identifier) and
// is omitted.
type consoleLinks struct {
	// Command is the Run Command console page of the command.
	Command string
	// Invocation is the console page of one instance's invocation (invocations only).
	Invocation string
	// Output is the S3 console location of the command's output, when the message names a
	// bucket.
	Output string
}

// consoleLinksOf builds the console links of n. Every part taken from the message is validated or
// escaped: the region becomes part of a host name, so a region that is not shaped like one
// (us-east-1, us-gov-west-1, cn-north-1) disables the region-bound links instead of pointing
// them at another host.
func consoleLinksOf(n *payload.Notification) consoleLinks {
	var l consoleLinks
	if ValidRegion(n.Region) && n.CommandID != "" {
		l.Command = CommandURL(n.Region, n.CommandID)
		if n.Kind == payload.KindInvocation && n.InstanceID != "" {
			l.Invocation = InvocationURL(n.Region, n.CommandID, n.InstanceID)
		}
	}
	if n.OutputS3BucketName != "" && n.CommandID != "" {
		l.Output = OutputURL(n.Region, n.OutputS3BucketName, n.OutputS3KeyPrefix, n.CommandID, n.Target())
	}
	return l
}

// consoleHost is the AWS console host for region's partition.
func consoleHost(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return region + ".console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return region + ".console.amazonaws-us-gov.com"
	}
	return region + ".console.aws.amazon.com"
}

// CommandURL is the Run Command console page of a command:
// https://REGION.console.aws.amazon.com/systems-manager/run-command/COMMAND_ID?region=REGION.
// region must satisfy ValidRegion.
func CommandURL(region, commandID string) string {
	return "https://" + consoleHost(region) + "/systems-manager/run-command/" +
		url.PathEscape(commandID) + "?region=" + url.QueryEscape(region)
}

// InvocationURL is the console page of one instance's invocation of a command:
// https://REGION.console.aws.amazon.com/systems-manager/run-command/COMMAND_ID/INSTANCE_ID?region=REGION.
func InvocationURL(region, commandID, instanceID string) string {
	return "https://" + consoleHost(region) + "/systems-manager/run-command/" +
		url.PathEscape(commandID) + "/" + url.PathEscape(instanceID) + "?region=" + url.QueryEscape(region)
}

// OutputURL is the S3 console location where Run Command writes a command's output:
// https://s3.console.aws.amazon.com/s3/buckets/BUCKET?prefix=PREFIX/COMMAND_ID/&region=REGION (the
// instance's folder below it for an invocation). region may be empty: buckets are global.
func OutputURL(region, bucket, keyPrefix, commandID, instanceID string) string {
	if !validBucket(bucket) {
		return ""
	}
	prefix := strings.TrimSuffix(keyPrefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	prefix += commandID + "/"
	if instanceID != "" {
		prefix += instanceID + "/"
	}
	host := "s3.console.aws.amazon.com"
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		host = "console.amazonaws-us-gov.com"
	}
	q := "prefix=" + url.QueryEscape(prefix)
	if ValidRegion(region) {
		q += "&region=" + url.QueryEscape(region)
	}
	return "https://" + host + "/s3/buckets/" + url.PathEscape(bucket) + "?" + q
}

// ValidRegion reports whether s is shaped like an AWS region name: lower-case words joined by
// hyphens and ending in a number (us-east-1, us-gov-west-1, ap-southeast-3).
func ValidRegion(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for j := 0; j < len(p); j++ {
			c := p[j]
			if last && (c < '0' || c > '9') || !last && (c < 'a' || c > 'z') {
				return false
			}
		}
	}
	return true
}

// validBucket reports whether s is a plausible S3 bucket name (3–63 of a-z, 0-9, '.', '-').
func validBucket(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
