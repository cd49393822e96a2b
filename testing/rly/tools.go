//go:build tools

// Test tooling only: makes this module require the Go relayer (rly), built by scripts/rly-build.sh.
package tools

import _ "github.com/cosmos/relayer/v2/cmd"
