package testenv_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"

	"github.com/ssmnotify/ssmnotify/internal/testenv"
)

// ReadSES reads the bodies and recipients aws-ses-v2-local nests under "body" and
// "destination": a reader of the flat fields alone saw every email empty.
func TestReadSESReadsNestedBodies(t *testing.T) {
	srv := testenv.SESLocal(t)
	client := ses.New(ses.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	_, err := client.SendEmail(t.Context(), &ses.SendEmailInput{
		Source:      aws.String("ssmnotify@example.com"),
		Destination: &types.Destination{ToAddresses: []string{"a@example.com"}},
		Message: &types.Message{
			Subject: &types.Content{Data: aws.String("the subject")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String("the text body")},
				Html: &types.Content{Data: aws.String("<p>the html body</p>")},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	emails := testenv.ReadSES(t, srv.URL).Emails
	if len(emails) != 1 {
		t.Fatalf("%d emails, want 1", len(emails))
	}
	e := emails[0]
	if e.Subject != "the subject" || e.Text != "the text body" || e.HTML != "<p>the html body</p>" ||
		e.From != "ssmnotify@example.com" || e.To != "a@example.com" {
		t.Errorf("read %+v", e)
	}
}

// The flat shape of older aws-ses-v2-local versions still reads.
func TestSESEmailReadsFlatFields(t *testing.T) {
	var s testenv.SESStore
	if err := json.Unmarshal([]byte(`{"emails":[{"from":"f@x","to":"t@x","subject":"s","text":"tx","html":"h"}]}`), &s); err != nil {
		t.Fatal(err)
	}
	if e := s.Emails[0]; e.From != "f@x" || e.To != "t@x" || e.Subject != "s" || e.Text != "tx" || e.HTML != "h" {
		t.Errorf("read %+v", e)
	}
}
