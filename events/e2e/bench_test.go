package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkEndToEnd measures INSERT -> trigger -> bridge -> RabbitMQ ->
// worker (Lua handler) -> ack, in events per second:
//
//	go test -run '^$' -bench EndToEnd -benchtime 20000x ./events/e2e/
func BenchmarkEndToEnd(b *testing.B) {
	for _, durable := range []bool{false, true} {
		b.Run(map[bool]string{false: "notify", true: "durable"}[durable], func(b *testing.B) {
			f := filepath.Join(b.TempDir(), "h.lua")
			os.WriteFile(f, []byte(`return function(rk, body, headers, info) if #body == 0 then error("empty") end end`), 0o644)
			p := setup(b, durable, "id int primary key, v text", f, 4)
			b.ResetTimer()
			start := time.Now()
			const chunk = 1000
			for i := 0; i < b.N; i += chunk {
				n := min(chunk, b.N-i)
				if _, err := p.pg.Exec(context.Background(), fmt.Sprintf(
					"insert into %s.%s select g, 'value ' || g from generate_series(%d, %d) g", p.schema, p.table, i+1, i+n)); err != nil {
					b.Fatal(err)
				}
			}
			deadline := time.Now().Add(2 * time.Minute)
			for p.stats.Acked.Load() < int64(b.N) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			if got := p.stats.Acked.Load(); got < int64(b.N) {
				b.Fatalf("only %d of %d acked", got, b.N)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
		})
	}
}
