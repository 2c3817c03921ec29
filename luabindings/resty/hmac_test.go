package resty

import "testing"

// Expected values from `openssl dgst -<alg> -hmac <key>`.
func TestHMAC(t *testing.T) {
	expect(t, `
local hmac = require "resty.hmac"
local h = hmac:new("secret_key", hmac.ALGOS.SHA256)
say(h:update("hello "), " ", h:final("world", true))
h:reset()
say(h:final("hello world", true))
local s1 = hmac:new("secret_key", hmac.ALGOS.SHA1)
say(require("resty.string").to_hex(s1:final("hello world")))
say(hmac:new("k"):final("hello world", true))
say(hmac:new("", hmac.ALGOS.SHA512):final(nil, true))
say(hmac:new("k", "bogus"))
`, `true cf1a418afaafc798df48fd804a2abf6970283afd8c40b41f818ad9b6ca4f8ca8
cf1a418afaafc798df48fd804a2abf6970283afd8c40b41f818ad9b6ca4f8ca8
15272f929f45d7f15e2bbfd7237741538847de8a
b6335810809f73d8fe7ce33055c5dde7
b936cee86c9f87aa5d3c6f2e84cb5a4239a5fe50480a6ec66b70ab5b1f4ac6730c6c515421b327ec1d69402e53dfb49ad7381eb067b338fd7b0cb22247225d47
nil
`)
}
