// Package syncbench holds the sync benchmarks at scale of issue 15 (run by
// scripts/bench.sh, never by make test). They sit above the layers, not in
// sync/pull, because they sync as the app does: with the app's search
// indexer installed in the cache, which sync/... must not import.
package syncbench
