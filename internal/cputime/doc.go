// Package cputime reads the CPU time this process has used, for the
// benchmarks: on a shared machine wall time mostly measures the
// neighbours, so they report CPU time beside it.
package cputime
