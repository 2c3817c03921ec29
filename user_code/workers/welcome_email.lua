-- Welcome email worker: run with
--   goresty worker -queue welcome_email -exchange events \
--     -bind 'row_change.table-users.event-INSERT.#' \
--     -handler user_code/workers/welcome_email.lua
-- The users table carries the rabbitmq.on_row_change (or _outbox)
-- trigger; SMTP_HOST, SMTP_PORT, MAIL_FROM configure delivery.
local cjson = require "cjson"
local smtp = require "goresty.smtp"

local host = os.getenv("SMTP_HOST") or "127.0.0.1"
local port = tonumber(os.getenv("SMTP_PORT") or "25")
local from = os.getenv("MAIL_FROM") or "noreply@example.com"

return function(routing_key, body, headers, info)
  local user = cjson.decode(body)
  if type(user.email) ~= "string" or user.email == "" then
    return true -- nothing to send; ack
  end
  local name = type(user.name) == "string" and user.name or user.email
  local ok, err = smtp.send{
    host = host, port = port, from = from, to = user.email,
    subject = "Welcome, " .. name .. "!",
    body = "Hi " .. name .. ",\n\nthanks for signing up.\n",
    -- the event id lets the mail side spot a duplicate delivery
    headers = { ["X-Event-Id"] = headers["x-event-id"] or info.message_id or "" },
  }
  if not ok then
    return nil, "smtp: " .. err -- retried, then dead-lettered
  end
  if ngx and ngx.log then
    ngx.log(ngx.INFO, "welcome email sent to ", user.email)
  end
end
