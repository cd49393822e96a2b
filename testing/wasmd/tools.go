//go:build tools

// Package tools pins github.com/CosmWasm/wasmd/cmd/wasmd in go.mod/go.sum so that
// `go build github.com/CosmWasm/wasmd/cmd/wasmd` works from this module.
package tools

import _ "github.com/CosmWasm/wasmd/cmd/wasmd"
