package splitclients_test

import (
	"strconv"
	"testing"

	"github.com/goresty/goresty/runtime/httpd/httpdtest"
)

// NGX_REFERENCE=/usr/sbin/nginx runs the same cases on nginx; the
// assignments of 300 keys are compared with nginx's recorded ones by
// checksum (their counts per bucket, and a hash of the sequence).
func TestSplitClients(t *testing.T) {
	s := httpdtest.StartEnv(t, `
split_clients "${arg_k}AAA" $variant {
    0.5%   .one;
    2.0%   .two;
    33.33% .three;
    *      "";
}
split_clients $arg_k $half {
    50% a;
    50% b;
}
split_clients $arg_k $part {
    10% x;
}
server {
    listen 127.0.0.1:PORT;
    location / { return 200 "$variant|$half|$part"; }
}`)
	counts := map[string]int{}
	seq := uint64(0)
	for i := 0; i < 300; i++ {
		_, _, body := s.Get(t, "/?k="+strconv.Itoa(i))
		counts[body]++
		for _, c := range body {
			seq = seq*31 + uint64(c)
		}
	}
	t.Logf("%v %d", counts, seq)
	if got := strconv.FormatUint(seq, 10); got != splitSeq {
		t.Errorf("assignments differ from nginx's: %s, counts %v", got, counts)
	}
}

// splitSeq is what nginx 1.22 gives for the sequence above.
const splitSeq = "16020934993761908373"

func TestSplitClientsConfErrors(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"split_clients $a $b { 60% x; 50% y; }", `percent total is greater than 100% in PREFIX/conf/nginx.conf:3`},
		{"split_clients $a $b { 0% x; }", `invalid percent value "0%" in PREFIX/conf/nginx.conf:3`},
		{"split_clients $a $b { 1.234% x; }", `invalid percent value "1.234%" in PREFIX/conf/nginx.conf:3`},
		{"split_clients $a $b { 5 x; }", `invalid percent value "5" in PREFIX/conf/nginx.conf:3`},
		{"split_clients $a b { 5% x; }", `invalid variable name "b" in PREFIX/conf/nginx.conf:3`},
	} {
		if got := httpdtest.LoadError(t, c.conf); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.conf, got, c.want)
		}
	}
}
