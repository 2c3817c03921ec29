package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/goresty/goresty/events/testenv"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestFaultDurable sends 10,000 events while the bridge process is killed
// (SIGKILL) and restarted twice and the broker application is stopped and
// started, and checks that every event arrives (durable mode). Duplicates
// are counted and reported. It restarts the shared RabbitMQ for a few
// seconds, so it only runs with GORESTY_FAULT_TEST=1:
//
//	GORESTY_FAULT_TEST=1 go test -run TestFaultDurable -v -timeout 10m ./events/e2e/
func TestFaultDurable(t *testing.T) {
	if os.Getenv("GORESTY_FAULT_TEST") != "1" {
		t.Skip("set GORESTY_FAULT_TEST=1 (restarts the local RabbitMQ)")
	}
	const total = 10000
	pg := testenv.PGConn(t)
	ch := testenv.Channel(t)
	schema := testenv.Schema(t, pg)
	ex := testenv.Exchange(t, ch, true)
	q := testenv.Queue(t, ch, true, ex, "row_change.#")
	tbl := testenv.Name("ev")
	pgChan := testenv.Name("events")
	testenv.Exec(t, pg, fmt.Sprintf("create table %s.%s (id int primary key)", schema, tbl))
	testenv.Exec(t, pg, fmt.Sprintf(`create trigger ev after insert on %s.%s for each row
		execute procedure %s.on_row_change_outbox('', '%s')`, schema, tbl, schema, pgChan))

	// the bridge: this test binary re-executed as `goresty bridge -durable`
	var bmu sync.Mutex
	var bridgeCmd *exec.Cmd
	startBridge := func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GORESTY_E2E_BRIDGE=1",
			"GORESTY_E2E_BRIDGE_ARGS=-durable -outbox "+schema+".outbox -wake-channel "+schema+"_outbox -metrics-interval 2s -batch 200",
			"POSTGRESQL_URI="+testenv.PG(), "AMQP_URI="+testenv.AMQP(), "BRIDGE_CHANNELS="+pgChan+":"+ex)
		if testing.Verbose() {
			cmd.Stderr = os.Stderr
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		bmu.Lock()
		bridgeCmd = cmd
		bmu.Unlock()
	}
	killBridge := func() {
		bmu.Lock()
		defer bmu.Unlock()
		bridgeCmd.Process.Kill()
		bridgeCmd.Wait()
	}
	startBridge()
	defer killBridge()

	// the consumer: reconnects, deduplicates by event id
	var mu sync.Mutex
	seen := map[string]int{}
	deliveries := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			conn, err := amqp.Dial(testenv.AMQP())
			if err != nil {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			c, err := conn.Channel()
			if err == nil {
				c.Qos(500, 0, false)
				var ds <-chan amqp.Delivery
				ds, err = c.Consume(q, "", false, false, false, false, nil)
				for err == nil {
					select {
					case <-ctx.Done():
						err = ctx.Err()
					case d, ok := <-ds:
						if !ok {
							err = fmt.Errorf("closed")
							break
						}
						mu.Lock()
						seen[d.MessageId]++
						deliveries++
						mu.Unlock()
						d.Ack(false)
					}
				}
			}
			conn.Close()
		}
	}()
	count := func() (int, int) { mu.Lock(); defer mu.Unlock(); return len(seen), deliveries }

	// the producer: 10,000 events in 200 transactions over ~10 s
	prodDone := make(chan error, 1)
	go func() {
		for i := 0; i < 200; i++ {
			_, err := pg.Exec(context.Background(), fmt.Sprintf("insert into %s.%s select g from generate_series(%d, %d) g",
				schema, tbl, i*50+1, i*50+50))
			if err != nil {
				prodDone <- err
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		prodDone <- nil
	}()
	rabbitctl := func(arg string) {
		start := time.Now()
		out, err := exec.Command("rabbitmqctl", arg).CombinedOutput()
		if err != nil {
			t.Fatalf("rabbitmqctl %s: %v\n%s", arg, err, out)
		}
		t.Logf("rabbitmqctl %s took %s", arg, time.Since(start).Round(time.Millisecond))
	}
	start := time.Now()
	time.Sleep(2 * time.Second)
	killBridge()
	u, _ := count()
	t.Logf("t=%s bridge killed (SIGKILL); %d events received so far", time.Since(start).Round(time.Millisecond), u)
	time.Sleep(time.Second)
	startBridge()
	time.Sleep(1500 * time.Millisecond)
	u, _ = count()
	t.Logf("t=%s stopping the broker; %d events received so far", time.Since(start).Round(time.Millisecond), u)
	rabbitctl("stop_app")
	time.Sleep(time.Second)
	rabbitctl("start_app")
	time.Sleep(1500 * time.Millisecond)
	killBridge()
	u, _ = count()
	t.Logf("t=%s bridge killed again; %d events received so far", time.Since(start).Round(time.Millisecond), u)
	time.Sleep(500 * time.Millisecond)
	startBridge()
	if err := <-prodDone; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if u, _ := count(); u >= total {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // let late duplicates arrive
	unique, all := count()
	var left int
	pg.QueryRow(context.Background(), fmt.Sprintf("select count(*) from %s.outbox", schema)).Scan(&left)
	t.Logf("RESULT: %d events sent, %d unique received, %d lost, %d deliveries, %d duplicates, %d left in outbox, %s total",
		total, unique, total-unique, all, all-unique, left, time.Since(start).Round(time.Millisecond))
	if unique != total {
		t.Fatalf("lost %d events", total-unique)
	}
}
