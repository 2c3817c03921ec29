//go:build ignore

// The build tag above keeps this package-main file out of `go build ./...`
// until cmd/goresty/main.go exists; the engineer adding main.go deletes
// the tag and dispatches `goresty bridge` / `goresty worker` here.

package main

import (
	"os"

	"github.com/goresty/goresty/events/cli"

	// The worker's Lua handlers run on the same runtime as the HTTP hooks.
	// Replace these with github.com/goresty/goresty/luabindings/all once it
	// exists.
	_ "github.com/goresty/goresty/luabindings/amqp"
	_ "github.com/goresty/goresty/luabindings/cjson"
	_ "github.com/goresty/goresty/luabindings/compat"
	_ "github.com/goresty/goresty/luabindings/regex"
	_ "github.com/goresty/goresty/luabindings/resty"
	_ "github.com/goresty/goresty/luabindings/semaphore"
	_ "github.com/goresty/goresty/luabindings/smtp"
	_ "github.com/goresty/goresty/luabindings/socket"
)

// runBridge is `goresty bridge [flags]` (pg-amqp-bridge environment).
func runBridge(args []string) int { return cli.RunBridge(args, os.Stderr) }

// runWorker is `goresty worker [flags]` and `goresty worker amqpspawn ...`.
func runWorker(args []string) int { return cli.RunWorker(args, os.Stderr) }
