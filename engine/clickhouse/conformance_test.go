package clickhouse

import (
	"context"
	"testing"

	"github.com/netlens/netlens/dataset"
	"github.com/netlens/netlens/engine"
	"github.com/netlens/netlens/engine/enginetest"
	"github.com/netlens/netlens/internal/testenv"
)

// loaded returns an enginetest.Open that loads the dataset into a fresh
// database of the server or cluster.
func loaded(dsn func(t *testing.T) (string, string)) enginetest.Open {
	return func(t *testing.T, ds *dataset.Dataset) engine.Engine {
		addr, cluster := dsn(t)
		e := openEngine(t, addr, cluster)
		if _, err := e.Load(context.Background(), ds, nil); err != nil {
			t.Fatal(err)
		}
		return e
	}
}

func TestConformance(t *testing.T) {
	enginetest.Run(t, loaded(func(t *testing.T) (string, string) { return testenv.ClickHouse(t), "" }))
}

func TestConformanceCluster(t *testing.T) {
	enginetest.Run(t, loaded(func(t *testing.T) (string, string) { return testenv.ClickHouseCluster(t) }))
}
