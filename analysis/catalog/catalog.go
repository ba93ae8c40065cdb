// Package catalog holds netlens' analyses, one file each, and the one list
// that registers them. An analysis is SQL run through engine.Engine, with
// Go only where SQL is the wrong tool.
package catalog

import "github.com/netlens/netlens/analysis"

// All returns every analysis of the catalogue, in report order.
func All() []analysis.Analysis {
	return []analysis.Analysis{
		// capture: what does a device talk to, how much, on which ports, when, in which bursts?
		overview{},
		graph{},
		talkers{},
		ports{},
		timeline{},
		iat{},
		stream{},
		bursts{},
		// flows: local vs external traffic, flows of no user, user to user,
		// organisations, unanswered requests.
		localExternal{},
		anomalies{},
		p2p{},
		organisations{},
		unanswered{},
		// peers: a Bitcoin node's traffic per peer and connection type.
		peerTraffic{},
		messageShare{},
		suspiciousPeers{},
		connTypeTraffic{},
		estimateCheck{},
		// darknet: who sends to an unused address block, to which ports, how
		// often, and which known scanner classes hit which services.
		darknetStats{},
		portRank{},
		activity{},
		senderFilter{},
		dailySenders{},
		classes{},
		classActivity{},
		classServices{},
		embeddings{},
	}
}

// ByName returns the analysis called name.
func ByName(name string) (analysis.Analysis, bool) {
	for _, a := range All() {
		if a.Meta().Name == name {
			return a, true
		}
	}
	return nil, false
}
