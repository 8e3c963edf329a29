//go:build tools

// Package tools records etcd, which test/cluster/ensureCluster.sh builds beside ./kube (the
// Kubernetes programs in one binary), so that `go mod tidy` keeps every module it needs in go.mod
// and go.sum.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
