// Package e2e runs the example app (conf/, user_code/, db/) end to end: the
// real stack (PostgreSQL, PostgREST, the gateway) is brought up with
// scripts/stack and exercised over HTTP.
//
// The suite runs only when GORESTY_E2E=1 or CI=true. GORESTY_E2E_IMPL picks
// the gateway: "goresty" (default: ./cmd/goresty is built), "nginx" (Debian's
// nginx-extras, the reference), or the path of a goresty binary.
package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const jwtSecret = "e2e-secret-e2e-secret-e2e-secret-0123"

// stack is the running example stack the tests talk to.
var stack struct {
	enabled bool
	impl    string // "goresty" or "nginx"
	base    string // http://127.0.0.1:PORT
	payment *paymentAPI
	root    string
}

func enabled() bool {
	return os.Getenv("GORESTY_E2E") == "1" || os.Getenv("CI") == "true"
}

func TestMain(m *testing.M) {
	if !enabled() {
		os.Exit(m.Run()) // every test skips
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	stack.root = root
	stack.enabled = true

	impl := os.Getenv("GORESTY_E2E_IMPL")
	binary := impl
	switch impl {
	case "nginx":
		stack.impl = "nginx"
	case "", "goresty":
		stack.impl = "goresty"
		dir, err := os.MkdirTemp("", "goresty-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "goresty")
		build := exec.Command("go", "build", "-o", binary, "./cmd/goresty")
		build.Dir = root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: building ./cmd/goresty:", err)
			return 1
		}
	default:
		stack.impl = "goresty"
		if binary, err = filepath.Abs(impl); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}

	stack.payment = newPaymentAPI()
	defer stack.payment.Close()

	gatewayPort, postgrestPort := freePort(), freePort()
	stack.base = "http://127.0.0.1:" + gatewayPort
	env := append(os.Environ(),
		"STACK_IMPL="+binary,
		"STACK_DIR="+filepath.Join(root, ".stack", "e2e-"+stack.impl),
		"STACK_PORT="+gatewayPort,
		"POSTGREST_PORT="+postgrestPort,
		"STACK_DB=goresty_e2e_"+stack.impl,
		"JWT_SECRET="+jwtSecret,
		"DEVELOPMENT=1",
		"PAYMENT_API_URL="+stack.payment.URL,
		"PAYMENT_API_KEY=sk_test_e2e",
	)
	script := filepath.Join(root, "scripts", "stack")
	stackCmd := func(verb string) error {
		cmd := exec.Command(script, verb)
		cmd.Dir = root
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	defer stackCmd("down")
	if err := stackCmd("up"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: scripts/stack up:", err)
		return 1
	}
	return m.Run()
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// need skips the test unless the stack runs.
func need(t *testing.T) {
	t.Helper()
	if !stack.enabled {
		t.Skip("end-to-end tests run with GORESTY_E2E=1 (or CI=true)")
	}
}

// needBuiltins skips tests that use goresty's built-in resty.* libraries.
func needBuiltins(t *testing.T, modules ...string) {
	t.Helper()
	need(t)
	if stack.impl == "nginx" {
		t.Skipf("needs %s, built into goresty; Debian's nginx-extras has no package for them",
			strings.Join(modules, " and "))
	}
}

// client never follows redirects nor decompresses, so tests see the wire.
var client = &http.Client{
	Timeout:       15 * time.Second,
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type response struct {
	*http.Response
	body []byte
}

func (r *response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response body is not the expected JSON (%v): %q", err, r.body)
	}
}

// do sends one request; headers are name, value pairs.
func do(t *testing.T, method, path string, body io.Reader, headers ...string) *response {
	t.Helper()
	req, err := http.NewRequest(method, stack.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return &response{res, b}
}

func get(t *testing.T, path string, headers ...string) *response {
	t.Helper()
	return do(t, http.MethodGet, path, nil, headers...)
}

func postJSON(t *testing.T, path string, v any, headers ...string) *response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, http.MethodPost, path, bytes.NewReader(b), append([]string{"Content-Type", "application/json"}, headers...)...)
}

func expectStatus(t *testing.T, r *response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %q", r.Request.Method, r.Request.URL.RequestURI(), r.StatusCode, want, r.body)
	}
}

// sign makes an HS256 JWT, as the SQL side and PostgREST expect.
func sign(secret string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	signable := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signable))
	return signable + "." + enc.EncodeToString(mac.Sum(nil))
}

// paymentAPI is a fake Stripe-style API that records what it received.
type paymentAPI struct {
	*httptest.Server
	mu    sync.Mutex
	calls []paymentCall
	seq   int
}

type paymentCall struct {
	Method, Path, Authorization, ContentType string
	Form                                     url.Values
	Status                                   int
	ID, Reply                                string // what the fake answered
}

func newPaymentAPI() *paymentAPI {
	p := &paymentAPI{}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	return p
}

func (p *paymentAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	call := paymentCall{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"),
		ContentType: r.Header.Get("Content-Type"), Form: form, Status: http.StatusOK}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/customers":
		call.ID = fmt.Sprintf("cus_e2e%d", p.seq)
		call.Reply = fmt.Sprintf(`{"id":%q,"object":"customer","default_source":%q}`, call.ID, form.Get("source"))
	case r.Method == http.MethodPost && r.URL.Path == "/v1/charges":
		call.ID = fmt.Sprintf("ch_e2e%d", p.seq)
		call.Reply = fmt.Sprintf(`{"id":%q,"object":"charge","amount":%q,"currency":%q,"customer":%q,"status":"succeeded"}`,
			call.ID, form.Get("amount"), form.Get("currency"), form.Get("customer"))
	default:
		call.Status = http.StatusNotFound
		call.Reply = `{"error":{"message":"unknown endpoint"}}`
	}
	p.calls = append(p.calls, call)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(call.Status)
	io.WriteString(w, call.Reply)
}

// take returns the recorded calls and forgets them.
func (p *paymentAPI) take() []paymentCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.calls
	p.calls = nil
	return c
}
