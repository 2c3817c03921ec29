package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func envOf(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseChannels(t *testing.T) {
	got, err := ParseChannels(" pgchannel2 : exchange2 , pgchannel1 : exchange1, ")
	want := []Binding{{"pgchannel1", "exchange1"}, {"pgchannel2", "exchange2"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"   ", ":", "pgchannel1", ":exchange1", "pgchannel1:", "a:x,a:y", "b, b"} {
		if _, err := ParseChannels(bad); err == nil {
			t.Errorf("ParseChannels(%q) accepted", bad)
		}
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "amqp")
	os.WriteFile(f, []byte("amqp://u:p@h:5672/v\n"), 0o600)
	c, err := FromEnv(envOf(map[string]string{"POSTGRESQL_URI": "postgres://x/db", "AMQP_URI_FILE": f,
		"BRIDGE_CHANNELS": "events:events", "DELIVERY_MODE": "PERSISTENT"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.AMQPURI != "amqp://u:p@h:5672/v" || c.PostgresURI != "postgres://x/db" || !c.Persistent || len(c.Bindings) != 1 {
		t.Fatalf("%+v", c)
	}
	c, err = FromEnv(envOf(map[string]string{"POSTGRESQL_URI": "p", "AMQP_URI": "a", "BRIDGE_CHANNELS": "e:e"}))
	if err != nil || c.Persistent {
		t.Fatalf("default must be non-persistent: %+v %v", c, err)
	}
	if _, err := FromEnv(envOf(map[string]string{"POSTGRESQL_URI": "p", "AMQP_URI": "a", "BRIDGE_CHANNELS": "e:e", "DELIVERY_MODE": "sometimes"})); err == nil {
		t.Fatal("bad DELIVERY_MODE accepted")
	}
	if _, err := FromEnv(envOf(map[string]string{"AMQP_URI": "a", "BRIDGE_CHANNELS": "e:e"})); err == nil {
		t.Fatal("missing POSTGRESQL_URI accepted")
	}
	if _, err := FromEnv(envOf(map[string]string{"POSTGRESQL_URI": "p", "AMQP_URI_FILE": filepath.Join(dir, "nope"), "BRIDGE_CHANNELS": "e:e"})); err == nil {
		t.Fatal("unreadable _FILE accepted")
	}
}
