package resolver

import (
	"context"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/goresty/goresty/runtime/resolver/resolvertest"
)

func TestLookup(t *testing.T) {
	srv := resolvertest.Start(t, map[string][]string{
		"a.test":    {"10.0.0.1", "10.0.0.2"},
		"both.test": {"10.0.0.3", "fd00::3"},
		"v6.test":   {"fd00::4"},
	}, map[string]dnsmessage.RCode{"fail.test": dnsmessage.RCodeServerFailure, "refused.test": dnsmessage.RCodeRefused},
		map[string]bool{"slow.test": true})
	r, err := Parse([]string{srv.Addr, "ipv6=off"})
	if err != nil {
		t.Fatal(err)
	}
	r.SetTimeout(300 * time.Millisecond)
	ctx := context.Background()
	ips, err := r.Lookup(ctx, "a.test")
	if err != nil || len(ips) != 2 || ips[0].String() != "10.0.0.1" {
		t.Fatalf("a.test: %v %v", ips, err)
	}
	// cached: no new query
	n := srv.Queries.Load()
	if _, err := r.Lookup(ctx, "A.TEST."); err != nil || srv.Queries.Load() != n {
		t.Fatalf("not answered from the cache: %v, %d queries", err, srv.Queries.Load()-n)
	}
	for name, want := range map[string]string{
		"nope.test":    "3: Host not found",
		"fail.test":    "2: Server failure",
		"refused.test": "5: Operation refused",
		"v6.test":      "3: Host not found", // no A record, ipv6=off
		"slow.test":    "110: Operation timed out",
	} {
		if _, err := r.Lookup(ctx, name); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}

	r6, err := Parse([]string{srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	ips, err = r6.Lookup(ctx, "both.test")
	if err != nil || len(ips) != 2 || ips[0].String() != "10.0.0.3" || ips[1].String() != "fd00::3" {
		t.Fatalf("both.test with ipv6: %v %v", ips, err)
	}
	if ips, err := r6.Lookup(ctx, "v6.test"); err != nil || len(ips) != 1 {
		t.Fatalf("v6.test with ipv6: %v %v", ips, err)
	}
}

// valid= overrides the TTL: an expired entry asks the server again.
func TestValid(t *testing.T) {
	srv := resolvertest.Start(t, map[string][]string{"a.test": {"10.0.0.1"}}, nil, nil)
	r, err := Parse([]string{srv.Addr, "valid=1s", "ipv6=off"})
	if err != nil || r.valid != time.Second {
		t.Fatalf("valid=1s: %v %v", r, err)
	}
	r.Lookup(context.Background(), "a.test")
	n := srv.Queries.Load()
	r.Lookup(context.Background(), "a.test")
	if srv.Queries.Load() != n {
		t.Fatal("not answered from the cache")
	}
	r.mu.Lock()
	e := r.cache["a.test"]
	e.expires = time.Now().Add(-time.Second)
	r.cache["a.test"] = e
	r.mu.Unlock()
	r.Lookup(context.Background(), "a.test")
	if srv.Queries.Load() == n {
		t.Fatal("an expired entry was still used")
	}
}

func TestParse(t *testing.T) {
	for _, bad := range [][]string{{"valid=x"}, {"127.0.0.1", "valid=1ms"}, {"127.0.0.1", "ipv6=maybe"}, {"127.0.0.1", "ipv4=off", "ipv6=off"}, {"ipv6=off"}, {"127.0.0.1:99999"}} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	r, err := Parse([]string{"127.0.0.1", "[::1]:5353", "valid=30s", "status_zone=z"})
	if err != nil {
		t.Fatal(err)
	}
	if r.servers[0] != "127.0.0.1:53" || r.servers[1] != "[::1]:5353" || r.valid != 30*time.Second {
		t.Fatalf("parsed %q valid %v", r.servers, r.valid)
	}
}
