package dynamo_test

import (
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/state"
	"github.com/ssmnotify/ssmnotify/internal/state/dynamo/dynamotest"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

func TestContract(t *testing.T) {
	local := dynamotest.Start(t)
	statetest.Run(t, func(t *testing.T) state.Store {
		s, _ := local.NewStore(t)
		return s
	})
}
