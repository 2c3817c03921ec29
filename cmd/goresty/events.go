package main

import (
	"os"

	"github.com/goresty/goresty/events/cli"

	// The worker's Lua handlers run on the same runtime as the HTTP hooks.
	_ "github.com/goresty/goresty/luabindings/all"
)

// runBridge is `goresty bridge [flags]` (pg-amqp-bridge environment).
func runBridge(args []string) int { return cli.RunBridge(args, os.Stderr) }

// runWorker is `goresty worker [flags]` and `goresty worker amqpspawn ...`.
func runWorker(args []string) int { return cli.RunWorker(args, os.Stderr) }
