package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

type project struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type todo struct {
	ID      int    `json:"id"`
	Todo    string `json:"todo"`
	Private bool   `json:"private"`
	OwnerID int    `json:"owner_id"`
	Mine    bool   `json:"mine"`
}

type session struct {
	Me struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"me"`
	Token     string `json:"token"`
	TokenType string `json:"token_type"`
}

func login(t *testing.T, email, password string) session {
	t.Helper()
	r := postJSON(t, "/rest/rpc/login", map[string]string{"email": email, "password": password})
	expectStatus(t, r, http.StatusOK)
	var s session
	r.json(t, &s)
	if s.Token == "" {
		t.Fatalf("login answered no token: %q", r.body)
	}
	return s
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

func TestStaticIndex(t *testing.T) {
	need(t)
	r := get(t, "/")
	expectStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/html; charset=utf-8 (mime.types + charset utf-8)", ct)
	}
	if !bytes.Contains(r.body, []byte("<h1>goresty example API</h1>")) {
		t.Errorf("index page not served: %q", r.body)
	}
	if cl := r.Header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
		t.Errorf("Content-Length %q, body has %d bytes", cl, len(r.body))
	}
	// text/html is always in gzip_types: small, so not compressed, but Vary is set
	if v := r.Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Encoding" {
		t.Errorf("Vary %q, want [Accept-Encoding] (gzip_vary on, text/html)", v)
	}
}

func TestList(t *testing.T) {
	need(t)
	r := get(t, "/rest/projects")
	expectStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var ps []project
	r.json(t, &ps)
	want := []string{"Windows", "MacOS", "Linux", "iOS", "Android"}
	if len(ps) != len(want) {
		t.Fatalf("got %d projects, want %d: %q", len(ps), len(want), r.body)
	}
	for i, p := range ps {
		if p.ID != i+1 || p.Name != want[i] {
			t.Errorf("project %d = %+v, want {%d %s}", i, p, i+1, want[i])
		}
	}
	if got := r.Header.Get("Content-Range"); got != "0-4/*" {
		t.Errorf("Content-Range %q from PostgREST not passed through, want 0-4/*", got)
	}
}

func TestFilter(t *testing.T) {
	need(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"?name=eq.Linux", []string{"Linux"}},
		{"?id=gt.3&order=id.desc", []string{"Android", "iOS"}},
		{"?select=name&name=in.(MacOS,iOS)&order=name", []string{"MacOS", "iOS"}},
		// only the blacklisted operator is refused: other filters on name pass
		{"?name=neq.Linux&id=lt.3", []string{"Windows", "MacOS"}},
	}
	for _, c := range cases {
		r := get(t, "/rest/projects"+c.query)
		expectStatus(t, r, http.StatusOK)
		var ps []project
		r.json(t, &ps)
		var got []string
		for _, p := range ps {
			got = append(got, p.Name)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("GET /rest/projects%s = %v, want %v", c.query, got, c.want)
		}
	}
}

func TestSingleObjectRewrite(t *testing.T) {
	need(t)
	r := get(t, "/rest/projects/2")
	expectStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.pgrst.object+json") {
		t.Errorf("Content-Type %q: the rewrite did not ask for a single object", ct)
	}
	var p project
	r.json(t, &p)
	if p != (project{2, "MacOS"}) {
		t.Errorf("GET /rest/projects/2 = %+v (%q), want {2 MacOS}", p, r.body)
	}

	// existing args are kept, the id filter is added
	r = get(t, "/rest/projects/4?select=name")
	expectStatus(t, r, http.StatusOK)
	var obj map[string]any
	r.json(t, &obj)
	if len(obj) != 1 || obj["name"] != "iOS" {
		t.Errorf("GET /rest/projects/4?select=name = %q, want {\"name\":\"iOS\"}", r.body)
	}
	loc := r.Header.Get("Content-Location")
	u, err := url.Parse(loc)
	if err != nil || u.Path != "/rest/projects" || u.Query().Get("id") != "eq.4" || u.Query().Get("select") != "name" {
		t.Errorf("Content-Location %q, want /rest/projects?... with select=name and id=eq.4", loc)
	}

	// no such row: PostgREST refuses a single object
	r = get(t, "/rest/projects/99")
	expectStatus(t, r, http.StatusNotAcceptable)
}

func TestBlockedFilter(t *testing.T) {
	need(t)
	for _, q := range []string{"?name=like.*OS", "?name=ilike.*os", "?name=not.like.*OS", "?select=id&name=like.M*"} {
		r := get(t, "/rest/projects"+q)
		expectStatus(t, r, http.StatusBadRequest)
		var e struct{ Message string }
		r.json(t, &e)
		if e.Message != "filtering by name/like is not allowed" && e.Message != "filtering by name/ilike is not allowed" {
			t.Errorf("GET /rest/projects%s: message %q", q, e.Message)
		}
		if strings.Contains(q, "ilike") && e.Message != "filtering by name/ilike is not allowed" {
			t.Errorf("GET /rest/projects%s: message %q names the wrong operator", q, e.Message)
		}
	}
	// the blacklist is per table: a like on another relation's column goes through
	alice := login(t, "alice@email.com", "pass")
	r := get(t, "/rest/todos?todo=like.item_*&order=id", bearer(alice.Token)...)
	expectStatus(t, r, http.StatusOK)
}

func TestSignupLoginAuthorized(t *testing.T) {
	need(t)
	email := fmt.Sprintf("e2e-%d@email.com", time.Now().UnixNano())
	r := postJSON(t, "/rest/rpc/signup", map[string]string{"name": "E2E", "email": email, "password": "s3cret"})
	expectStatus(t, r, http.StatusOK)
	var signed session
	r.json(t, &signed)
	if signed.Token == "" || signed.Me.Email != email || signed.Me.ID == 0 {
		t.Fatalf("signup answered %q", r.body)
	}
	// the body post-processor of hooks.lua added the token type
	if signed.TokenType != "Bearer" {
		t.Errorf("signup token_type %q, want Bearer (before_rest_response post-processing)", signed.TokenType)
	}

	s := login(t, email, "s3cret")
	if s.Me.ID != signed.Me.ID || s.TokenType != "Bearer" {
		t.Errorf("login answered %+v, want user %d with token_type Bearer", s, signed.Me.ID)
	}
	r = postJSON(t, "/rest/rpc/login", map[string]string{"email": email, "password": "wrong"})
	expectStatus(t, r, http.StatusForbidden)
	if bytes.Contains(r.body, []byte("token_type")) {
		t.Errorf("failed login was post-processed: %q", r.body)
	}

	// a new user sees the others' public todos only
	r = get(t, "/rest/todos?order=id", bearer(s.Token)...)
	expectStatus(t, r, http.StatusOK)
	var todos []todo
	r.json(t, &todos)
	if len(todos) != 2 || todos[0].Todo != "item_2" || todos[1].Todo != "item_5" || todos[0].Mine || todos[1].Mine {
		t.Errorf("new user's todos = %+v, want the public item_2 and item_5", todos)
	}

	// create one, then read it back through the /:id rewrite
	r = postJSON(t, "/rest/todos", map[string]any{"todo": "written by e2e"},
		append(bearer(s.Token), "Prefer", "return=representation")...)
	expectStatus(t, r, http.StatusCreated)
	var created []todo
	r.json(t, &created)
	if len(created) != 1 || created[0].OwnerID != s.Me.ID || !created[0].Mine {
		t.Fatalf("created %q, want one todo owned by %d", r.body, s.Me.ID)
	}
	r = get(t, fmt.Sprintf("/rest/todos/%d", created[0].ID), bearer(s.Token)...)
	expectStatus(t, r, http.StatusOK)
	var one todo
	r.json(t, &one)
	if one.ID != created[0].ID || one.Todo != "written by e2e" || !one.Private {
		t.Errorf("GET /rest/todos/%d = %q", created[0].ID, r.body)
	}

	// row-level security: another user does not see the private todo
	alice := login(t, "alice@email.com", "pass")
	r = get(t, fmt.Sprintf("/rest/todos/%d", created[0].ID), bearer(alice.Token)...)
	expectStatus(t, r, http.StatusNotAcceptable)
	r = get(t, "/rest/todos?order=id&select=todo", bearer(alice.Token)...)
	expectStatus(t, r, http.StatusOK)
	if want := `[{"todo":"item_1"}, {"todo":"item_2"}, {"todo":"item_3"}, {"todo":"item_5"}]`; compactJSON(t, r.body) != compactJSON(t, []byte(want)) {
		t.Errorf("alice's todos = %s, want %s", r.body, want)
	}
}

func TestAnonymousRefused(t *testing.T) {
	need(t)
	r := get(t, "/rest/todos")
	expectStatus(t, r, http.StatusUnauthorized)
	var e struct{ Code, Message string }
	r.json(t, &e)
	if e.Code != "42501" {
		t.Errorf("anonymous /rest/todos: %q, want PostgREST's permission denied (42501)", r.body)
	}
	// a token signed with another secret is refused by PostgREST
	forged := sign("not-the-secret-not-the-secret-0123", map[string]any{"role": "webuser", "user_id": 1})
	r = get(t, "/rest/todos", bearer(forged)...)
	expectStatus(t, r, http.StatusUnauthorized)
	// anonymous may read projects but not write them
	r = postJSON(t, "/rest/projects", map[string]string{"name": "Plan 9"})
	expectStatus(t, r, http.StatusUnauthorized)
}

func chargeRequest(t *testing.T, form url.Values, headers ...string) *response {
	t.Helper()
	return do(t, http.MethodPost, "/rest/rpc/charge_customer", strings.NewReader(form.Encode()),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

func TestChargeCustomer(t *testing.T) {
	needBuiltins(t, "resty.jwt", "resty.http")
	stack.payment.take()
	alice := login(t, "alice@email.com", "pass")
	r := chargeRequest(t, url.Values{"stripeToken": {"tok_visa"}}, bearer(alice.Token)...)
	expectStatus(t, r, http.StatusOK)
	var out struct {
		Customer, Charge, Currency, Status string
		Amount                             int
	}
	r.json(t, &out)

	calls := stack.payment.take()
	if len(calls) != 2 {
		t.Fatalf("payment API got %d calls, want 2 (customer, charge): %+v", len(calls), calls)
	}
	cust, charge := calls[0], calls[1]
	if cust.Method != "POST" || cust.Path != "/v1/customers" || cust.Form.Get("source") != "tok_visa" {
		t.Errorf("first call %+v, want POST /v1/customers source=tok_visa", cust)
	}
	if cust.Form.Get("description") != fmt.Sprintf("user %d", alice.Me.ID) {
		t.Errorf("customer description %q, want the JWT's user_id", cust.Form.Get("description"))
	}
	if cust.Authorization != "Bearer sk_test_e2e" || !strings.HasPrefix(cust.ContentType, "application/x-www-form-urlencoded") {
		t.Errorf("customer call headers: Authorization %q, Content-Type %q", cust.Authorization, cust.ContentType)
	}
	if charge.Method != "POST" || charge.Path != "/v1/charges" ||
		charge.Form.Get("amount") != "9900" || charge.Form.Get("currency") != "usd" {
		t.Errorf("second call %+v, want POST /v1/charges amount=9900 currency=usd", charge)
	}
	if charge.Form.Get("customer") != cust.ID || out.Customer != cust.ID {
		t.Errorf("charged customer %q and answered customer %q, want the created %q",
			charge.Form.Get("customer"), out.Customer, cust.ID)
	}
	if out.Amount != 9900 || out.Currency != "usd" || out.Status != "succeeded" || out.Charge != charge.ID {
		t.Errorf("charge_customer answered %q", r.body)
	}

	// a missing form field is the client's fault, and nothing is charged
	r = chargeRequest(t, url.Values{}, bearer(alice.Token)...)
	expectStatus(t, r, http.StatusBadRequest)
	if calls := stack.payment.take(); len(calls) != 0 {
		t.Errorf("payment API called without a card token: %+v", calls)
	}
}

func TestChargeCustomerNeedsToken(t *testing.T) {
	needBuiltins(t, "resty.jwt", "resty.http")
	stack.payment.take()
	form := url.Values{"stripeToken": {"tok_visa"}}
	expired := sign(jwtSecret, map[string]any{"role": "webuser", "user_id": 1, "exp": time.Now().Add(-time.Hour).Unix()})
	forged := sign("not-the-secret-not-the-secret-0123", map[string]any{"role": "webuser", "user_id": 1})
	for name, headers := range map[string][]string{
		"no Authorization": nil,
		"not a bearer":     {"Authorization", "Basic YWxpY2U6cGFzcw=="},
		"malformed token":  bearer("not.a.jwt"),
		"wrong secret":     bearer(forged),
		"expired token":    bearer(expired),
		"empty bearer":     {"Authorization", "Bearer "},
	} {
		r := chargeRequest(t, form, headers...)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404; body %q", name, r.StatusCode, r.body)
		}
	}
	if calls := stack.payment.take(); len(calls) != 0 {
		t.Errorf("payment API called for refused requests: %+v", calls)
	}
}

func TestCORSPreflight(t *testing.T) {
	need(t)
	const origin = "https://app.example.com"
	r := do(t, http.MethodOptions, "/rest/todos", nil,
		"Origin", origin, "Access-Control-Request-Method", "POST")
	expectStatus(t, r, http.StatusNoContent)
	want := map[string]string{
		"Access-Control-Allow-Origin":      origin,
		"Access-Control-Allow-Methods":     "GET, POST, PATCH, DELETE, OPTIONS",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Max-Age":           "1728000",
	}
	for k, v := range want {
		if got := r.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s: %q, want [%q]", k, got, v)
		}
	}
	if h := r.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(h, "Authorization") {
		t.Errorf("Access-Control-Allow-Headers %q lacks Authorization", h)
	}
	// answered by the gateway: the internal location (and PostgREST) never ran
	for _, h := range []string{"Request-Time", "Content-Location", "Content-Range"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("preflight was proxied: %s: %q", h, v)
		}
	}
	if len(r.body) != 0 {
		t.Errorf("204 with a body: %q", r.body)
	}
}

func TestCORSPostReflectsOrigin(t *testing.T) {
	need(t)
	const origin = "https://app.example.com"
	r := postJSON(t, "/rest/rpc/login", map[string]string{"email": "alice@email.com", "password": "pass"}, "Origin", origin)
	expectStatus(t, r, http.StatusOK)
	// one value only: PostgREST's own "*" is hidden
	if got := r.Header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != origin {
		t.Errorf("Access-Control-Allow-Origin %q, want [%q]", got, origin)
	}
	if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("Access-Control-Allow-Credentials %q, want true", got)
	}
	var s session
	r.json(t, &s)
	if s.Token == "" {
		t.Errorf("CORS POST lost the response: %q", r.body)
	}
	// without an Origin there are no CORS headers of ours
	r = postJSON(t, "/rest/rpc/login", map[string]string{"email": "alice@email.com", "password": "pass"})
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("no Origin, yet Access-Control-Allow-Origin %q", got)
	}
}

func TestGzipJSON(t *testing.T) {
	need(t)
	r := get(t, "/rest/projects", "Accept-Encoding", "gzip")
	expectStatus(t, r, http.StatusOK)
	if ce := r.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip for application/json", ce)
	}
	if v := r.Header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
		t.Errorf("Vary %q, want Accept-Encoding (gzip_vary on)", v)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	var ps []project
	if err := json.Unmarshal(plain, &ps); err != nil || len(ps) != 5 {
		t.Errorf("gunzipped body %q (%v), want the 5 projects", plain, err)
	}

	// the single-object type is in gzip_types too
	r = get(t, "/rest/projects/1", "Accept-Encoding", "gzip")
	if ce := r.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Errorf("application/vnd.pgrst.object+json: Content-Encoding %q, want gzip", ce)
	}

	// a client without gzip gets plain JSON, still marked as varying so
	// that caches keep the two apart (nginx sets Vary for any gzip_types
	// response it could have compressed)
	r = get(t, "/rest/projects")
	if ce := r.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("no Accept-Encoding, yet Content-Encoding %q", ce)
	}
	if v := r.Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Encoding" {
		t.Errorf("no Accept-Encoding: Vary %q, want [Accept-Encoding] (gzip_vary on)", v)
	}
	r.json(t, &ps)

	// statuses gzip leaves alone (not 200/403/404) get neither
	r = get(t, "/rest/todos", "Accept-Encoding", "gzip")
	expectStatus(t, r, http.StatusUnauthorized)
	if ce, v := r.Header.Get("Content-Encoding"), r.Header.Get("Vary"); ce != "" || v != "" {
		t.Errorf("401: Content-Encoding %q, Vary %q, want neither (gzip skips this status)", ce, v)
	}

	// the post-processed login body is compressed after the body filter ran
	r = postJSON(t, "/rest/rpc/login", map[string]string{"email": "alice@email.com", "password": "pass"}, "Accept-Encoding", "gzip")
	expectStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ = io.ReadAll(zr)
	} else {
		plain = r.body
	}
	var s session
	if err := json.Unmarshal(plain, &s); err != nil || s.TokenType != "Bearer" {
		t.Errorf("gzip + post-processing: %q (%v)", plain, err)
	}
}

func TestContentLocation(t *testing.T) {
	need(t)
	r := get(t, "/rest/projects?select=id")
	expectStatus(t, r, http.StatusOK)
	if got := r.Header.Values("Content-Location"); len(got) != 1 || got[0] != "/rest/projects?select=id" {
		t.Errorf("Content-Location %q, want [/rest/projects?select=id]", got)
	}
	// PostgREST sends none for an RPC: the prefix alone
	r = postJSON(t, "/rest/rpc/login", map[string]string{"email": "alice@email.com", "password": "pass"})
	if got := r.Header.Values("Content-Location"); len(got) != 1 || got[0] != "/rest" {
		t.Errorf("RPC Content-Location %q, want [/rest]", got)
	}
}

func TestRequestTimeInDevelopment(t *testing.T) {
	need(t)
	r := get(t, "/rest/projects")
	v := r.Header.Get("Request-Time")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 15 || !strings.Contains(v, ".") {
		t.Errorf("Request-Time %q, want $request_time (seconds with milliseconds) when DEVELOPMENT=1", v)
	}
	// only the proxied location adds it
	if v := get(t, "/").Header.Get("Request-Time"); v != "" {
		t.Errorf("static page has Request-Time %q", v)
	}
}

func TestBodyPostprocessKeepsLengthRight(t *testing.T) {
	need(t)
	r := postJSON(t, "/rest/rpc/login", map[string]string{"email": "alice@email.com", "password": "pass"})
	expectStatus(t, r, http.StatusOK)
	if cl := r.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(r.body)) {
		t.Errorf("Content-Length %s for a %d-byte post-processed body", cl, len(r.body))
	}
	var raw map[string]any
	r.json(t, &raw)
	if raw["token_type"] != "Bearer" || raw["token"] == nil || raw["me"] == nil {
		t.Errorf("post-processed body %q lost or missed fields", r.body)
	}
	// other responses are passed through byte for byte: PostgREST's own layout
	r = get(t, "/rest/projects?id=lt.3")
	if want := "[{\"id\":1,\"name\":\"Windows\"}, \n {\"id\":2,\"name\":\"MacOS\"}]"; string(r.body) != want {
		t.Errorf("untouched body %q, want %q", r.body, want)
	}
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %q", b)
	}
	return buf.String()
}

func TestStaticConditionalAndRange(t *testing.T) {
	need(t)
	full := get(t, "/index.html")
	expectStatus(t, full, http.StatusOK)
	etag, lm := full.Header.Get("ETag"), full.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("static file without validators: ETag %q, Last-Modified %q", etag, lm)
	}
	if r := get(t, "/index.html", "If-None-Match", etag); r.StatusCode != http.StatusNotModified || len(r.body) != 0 {
		t.Errorf("If-None-Match: status %d body %d bytes, want 304 and none", r.StatusCode, len(r.body))
	}
	if r := get(t, "/index.html", "If-Modified-Since", lm); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: status %d, want 304", r.StatusCode)
	}
	r := get(t, "/index.html", "Range", "bytes=0-14")
	expectStatus(t, r, http.StatusPartialContent)
	if string(r.body) != string(full.body[:15]) {
		t.Errorf("Range bytes=0-14 gave %q", r.body)
	}
	if cr := r.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes 0-14/%d", len(full.body)) {
		t.Errorf("Content-Range %q", cr)
	}
	if r := do(t, http.MethodHead, "/", nil); r.StatusCode != http.StatusOK || len(r.body) != 0 ||
		r.Header.Get("Content-Length") != strconv.Itoa(len(full.body)) {
		t.Errorf("HEAD /: status %d, Content-Length %q, %d body bytes", r.StatusCode, r.Header.Get("Content-Length"), len(r.body))
	}
	if r := get(t, "/no-such-page.html"); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing file: status %d, want 404", r.StatusCode)
	}
}

func TestInsertWithoutBody(t *testing.T) {
	need(t)
	alice := login(t, "alice@email.com", "pass")
	r := postJSON(t, "/rest/todos", map[string]any{"todo": "headers only"},
		append(bearer(alice.Token), "Prefer", "return=headers-only")...)
	expectStatus(t, r, http.StatusCreated)
	if len(r.body) != 0 {
		t.Errorf("body %q, want none", r.body)
	}
	// PostgREST sends no Content-Type for an empty answer and the gateway
	// must not invent one (default_type applies to local content only)
	if ct, ok := r.Header["Content-Type"]; ok {
		t.Errorf("Content-Type %q added to a proxied response that had none", ct)
	}
	// upstream headers pass unchanged: proxy_pass with variables has no proxy_redirect default
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/todos?id=eq.") {
		t.Errorf("Location %q, want PostgREST's /todos?id=eq.N", loc)
	}
	if pa := r.Header.Get("Preference-Applied"); pa != "return=headers-only" {
		t.Errorf("Preference-Applied %q", pa)
	}
}
