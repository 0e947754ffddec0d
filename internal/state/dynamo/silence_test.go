package dynamo_test

import (
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

func TestSilenceContract(t *testing.T) {
	local := dynamotest.Start(t)
	statetest.RunSilences(t, func(t *testing.T) silence.Store {
		s, _ := local.NewStore(t)
		return s
	})
}
