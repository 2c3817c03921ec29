// Package e2e holds the end-to-end tests of the events pipeline (trigger,
// bridge, broker, worker): the welcome-email example, the fault test and
// the throughput benchmark. See events/README.md for how to run them.
package e2e
