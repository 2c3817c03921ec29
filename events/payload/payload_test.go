package payload

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Parsed
	}{
		{"my_key|A message", Parsed{RoutingKey: "my_key", Message: "A message"}},
		{"  my_key  |  A message  ", Parsed{RoutingKey: "my_key", Message: "  A message  "}},
		{"A message", Parsed{Message: "A message"}},
		{"", Parsed{}},
		{"k|", Parsed{RoutingKey: "k"}},
		{"mý_kéý|A mésságé", Parsed{RoutingKey: "mý_kéý", Message: "A mésságé"}},
		// headers in the middle (documented form)
		{"k|Content-Type: application/json, text/plain; X-My: v|{\"a\":1}", Parsed{RoutingKey: "k", Message: "{\"a\":1}",
			Headers: []Header{{"Content-Type", []string{"application/json", "text/plain"}}, {"X-My", []string{"v"}}}}},
		// headers last (pg-amqp-bridge 0.0.8 form)
		{"k|A message|X-First: value1, value2; X-Second: value3", Parsed{RoutingKey: "k", Message: "A message",
			Headers: []Header{{"X-First", []string{"value1", "value2"}}, {"X-Second", []string{"value3"}}}}},
		// JSON with | survives intact
		{`row_change.table-t.event-INSERT|{"a":"x|y","b":"c: d|e"}`, Parsed{RoutingKey: "row_change.table-t.event-INSERT", Message: `{"a":"x|y","b":"c: d|e"}`}},
		{`k|["a|b", "X: y|z"]`, Parsed{RoutingKey: "k", Message: `["a|b", "X: y|z"]`}},
		{`k|"X: y|Z: w"`, Parsed{RoutingKey: "k", Message: `"X: y|Z: w"`}},
		// headers then a message that itself contains |
		{`k|X: 1|{"p":"a|b"}`, Parsed{RoutingKey: "k", Message: `{"p":"a|b"}`, Headers: []Header{{"X", []string{"1"}}}}},
		// not headers: empty value, bad name, missing colon
		{"k|X:|m", Parsed{RoutingKey: "k", Message: "X:|m"}},
		{"k|-X: a|m", Parsed{RoutingKey: "k", Message: "-X: a|m"}},
		{"k|plain|text", Parsed{RoutingKey: "k", Message: "plain|text"}},
		{"k|time 10:30, ok; fine|", Parsed{RoutingKey: "k", Message: "time 10:30, ok; fine|"}},
	}
	for _, c := range cases {
		if got := Parse(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestTable(t *testing.T) {
	got := Table([]Header{{"A", []string{"1", "2"}}})
	want := map[string]any{"A": []any{"1", "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%#v", got)
	}
	if Table(nil) != nil {
		t.Fatal("nil headers must give nil table")
	}
}

func BenchmarkParseJSON(b *testing.B) {
	p := `row_change.table-users.event-INSERT|{"id":1,"email":"a@b.c","name":"x|y"}`
	b.ReportAllocs()
	for b.Loop() {
		Parse(p)
	}
}
