package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func withEnv(t *testing.T, m map[string]string) {
	old := Env
	Env = func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	t.Cleanup(func() { Env = old })
}

func TestUsageErrors(t *testing.T) {
	withEnv(t, map[string]string{"POSTGRESQL_URI": "postgres://x", "AMQP_URI": "amqp://x", "DELIVERY_MODE": "bogus", "BRIDGE_CHANNELS": "a:b"})
	var errb bytes.Buffer
	if code := Bridge(context.Background(), nil, &errb); code != 2 || !strings.Contains(errb.String(), "DELIVERY_MODE") {
		t.Fatalf("%d %s", code, errb.String())
	}
	errb.Reset()
	if code := Bridge(context.Background(), []string{"-nope"}, &errb); code != 2 {
		t.Fatal(code)
	}
	errb.Reset()
	if code := Worker(context.Background(), []string{"-queue", "q"}, &errb, &errb); code != 2 || !strings.Contains(errb.String(), "-handler or -exec") {
		t.Fatalf("%d %s", code, errb.String())
	}
	errb.Reset()
	if code := Worker(context.Background(), []string{"amqpspawn", "only-exchange"}, &errb, &errb); code != 2 || !strings.Contains(errb.String(), "Usage: goresty worker amqpspawn") {
		t.Fatalf("%d %s", code, errb.String())
	}
}
