package main

import (
	"regexp"
	"strconv"
	"strings"
)

// Context keys of the deployment's limits and monitoring: the router's share of the account's
// Lambda concurrency, the CloudTrail log group to watch, and the S3 buckets maintenance window
// tasks write command output to.
const (
	ctxRouterConcurrency = "routerReservedConcurrency"
	ctxTrailLogGroup     = "trailLogGroup"
	ctxOutputBuckets     = "outputBuckets"
)

// deployContextKeys are appended to contextKeys.
var deployContextKeys = []string{ctxRouterConcurrency, ctxTrailLogGroup, ctxOutputBuckets}

func init() { contextKeys = append(contextKeys, deployContextKeys...) }

// DefaultRouterConcurrency is the router's reserved concurrency when the context does not set
// one: enough for Slack's and SES's rate limits, small enough that a command on 1,000 instances
// leaves the rest of the account's Lambda concurrency to other functions.
const DefaultRouterConcurrency = 20

// minRouterConcurrency leaves room for both SQS event sources (each at least 2, Lambda's
// minimum maximum concurrency) and a direct SNS or EventBridge invocation.
const minRouterConcurrency = 5

var (
	// S3 bucket names: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// CloudWatch Logs log group names.
	logGroupNameRE = regexp.MustCompile(`^[\w/.#-]{1,512}$`)
)

// parseDeploySettings reads the deployment keys into s. It is separate from ParseSettings so
// the routing of problems stays in one place there.
func (p *settingsParser) parseDeploySettings(s *Settings) {
	s.RouterReservedConcurrency = DefaultRouterConcurrency
	switch v := p.get(ctxRouterConcurrency).(type) {
	case nil:
	case string:
		if strings.EqualFold(strings.TrimSpace(v), "none") {
			s.RouterReservedConcurrency = 0
			break
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			p.fail(ctxRouterConcurrency, "%q: want a whole number from %d to 1000, or none", v, minRouterConcurrency)
			break
		}
		s.RouterReservedConcurrency = n
	default:
		s.RouterReservedConcurrency = p.integer(ctxRouterConcurrency, DefaultRouterConcurrency)
	}
	if n := s.RouterReservedConcurrency; n != 0 && (n < minRouterConcurrency || n > 1000) {
		p.fail(ctxRouterConcurrency, "%d: want a whole number from %d to 1000 (room for both SQS event sources and a direct invocation), or none", n, minRouterConcurrency)
	}

	s.TrailLogGroup = p.str(ctxTrailLogGroup, "")
	if s.TrailLogGroup != "" && !logGroupNameRE.MatchString(s.TrailLogGroup) {
		p.fail(ctxTrailLogGroup, "%q is not a CloudWatch Logs log group name (the group your CloudTrail trail delivers to)", s.TrailLogGroup)
	}

	for _, b := range splitList(p.str(ctxOutputBuckets, "")) {
		if !bucketNameRE.MatchString(b) || strings.Contains(b, "..") {
			p.fail(ctxOutputBuckets, "%q is not an S3 bucket name (give names, not ARNs or s3:// URLs)", b)
			continue
		}
		s.OutputBuckets = append(s.OutputBuckets, b)
	}

	if strings.Contains(s.MaintenanceWindowRoleARN, ":role/aws-service-role/") {
		p.fail(ctxMaintenanceRoleARN, "%s is a service-linked role: no policy can be attached to it, so it could never pass the notification role. Give a custom maintenance window service role, or leave %s unset and the stack creates one", s.MaintenanceWindowRoleARN, ctxMaintenanceRoleARN)
	}
}
