-- goresty events: the rabbitmq schema (pg-amqp-bridge compatible) plus a
-- durable outbox. Idempotent: safe to run again on upgrade.

create schema if not exists rabbitmq;

-- NOTIFY mode: payload "routing_key|message", read by `goresty bridge`.
-- The bridge's split rule keeps a message containing '|' intact (see
-- events/README.md). NOTIFY fires at commit; payloads are limited to
-- 8000 bytes and identical notifications in one transaction are merged.
create or replace function rabbitmq.send_message(channel text, routing_key text, message text)
returns void as $$
  select pg_notify(channel, routing_key || '|' || message);
$$ volatile language sql;

-- row_to_json of the changed row, trimmed by an optional trigger argument
-- '{"include":["id","email"]}' or '{"exclude":["password"]}'.
create or replace function rabbitmq.row_json(r record, arg text)
returns jsonb as $$
declare
  j jsonb := to_jsonb(r);
  opts jsonb;
  cols text[];
begin
  if arg is null or arg = '' then
    return j;
  end if;
  opts := arg::jsonb;
  if opts ? 'include' then
    select coalesce(array_agg(x), '{}') into cols from jsonb_array_elements_text(opts->'include') x;
    select coalesce(jsonb_object_agg(key, value), '{}') into j from jsonb_each(j) where key = any(cols);
  elsif opts ? 'exclude' then
    select coalesce(array_agg(x), '{}') into cols from jsonb_array_elements_text(opts->'exclude') x;
    j := j - cols;
  end if;
  return j;
end;
$$ immutable language plpgsql;

create or replace function rabbitmq.routing_key(tbl name, op text)
returns text as $$
  select 'row_change.table-' || tbl || '.event-' || op;
$$ immutable language sql;

-- NOTIFY-mode trigger: after insert or update or delete ... for each row
-- execute procedure rabbitmq.on_row_change(['{"include":[...]}']).
-- Sends on channel 'events' (override with a second argument).
create or replace function rabbitmq.on_row_change()
returns trigger as $$
declare
  r record;
begin
  if tg_op = 'DELETE' then r := old; else r := new; end if;
  perform rabbitmq.send_message(
    coalesce(tg_argv[1], 'events'),
    rabbitmq.routing_key(tg_table_name, tg_op),
    rabbitmq.row_json(r, tg_argv[0])::text);
  return null;
end;
$$ volatile language plpgsql;

-- Durable mode: events are rows, written in the same transaction as the
-- change, claimed by `goresty bridge -durable` with FOR UPDATE SKIP LOCKED
-- and deleted only after the broker confirmed them. id is the event id
-- (AMQP message_id and header x-event-id) consumers deduplicate by.
create table if not exists rabbitmq.outbox (
  id          bigint generated always as identity primary key,
  channel     text        not null default 'events',
  routing_key text        not null,
  message     text        not null,
  headers     jsonb,
  created_at  timestamptz not null default clock_timestamp()
);

-- The bridge listens here; the payload is the channel. Notifications with
-- the same payload in one transaction are merged, so a bulk insert wakes
-- the bridge once.
create or replace function rabbitmq.outbox_wake()
returns trigger as $$
begin
  perform pg_notify('rabbitmq_outbox', 'wake');
  return null;
end;
$$ volatile language plpgsql;

drop trigger if exists outbox_wake on rabbitmq.outbox;
create trigger outbox_wake after insert on rabbitmq.outbox
  for each statement execute procedure rabbitmq.outbox_wake();

-- send_message's durable twin.
create or replace function rabbitmq.send_message_durable(channel text, routing_key text, message text, headers jsonb default null)
returns bigint as $$
  insert into rabbitmq.outbox (channel, routing_key, message, headers)
  values (channel, routing_key, message, headers) returning id;
$$ volatile language sql;

-- Durable on_row_change: same routing keys and arguments, writes the outbox.
create or replace function rabbitmq.on_row_change_outbox()
returns trigger as $$
declare
  r record;
begin
  if tg_op = 'DELETE' then r := old; else r := new; end if;
  insert into rabbitmq.outbox (channel, routing_key, message)
  values (coalesce(tg_argv[1], 'events'), rabbitmq.routing_key(tg_table_name, tg_op),
          rabbitmq.row_json(r, tg_argv[0])::text);
  return null;
end;
$$ volatile language plpgsql;
