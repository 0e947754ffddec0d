package memory_test

import (
	"testing"

	"github.com/ssmnotify/ssmnotify/internal/silence"
	"github.com/ssmnotify/ssmnotify/internal/state/memory"
	"github.com/ssmnotify/ssmnotify/internal/state/statetest"
)

func TestSilenceContract(t *testing.T) {
	statetest.RunSilences(t, func(*testing.T) silence.Store { return memory.New() })
}
