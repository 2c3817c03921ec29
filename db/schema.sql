-- Example schema for the goresty PostgREST example app.
-- Load into an empty database with:
--   psql -v ON_ERROR_STOP=1 -v jwt_secret="'<secret>'" -d DB -f db/schema.sql
-- Roles are cluster-wide: they are created only when missing, so several
-- databases (stack + e2e runs) can share one cluster.

\set QUIET on
set client_min_messages = warning;
\if :{?jwt_secret}
\else
\set jwt_secret '\'reallyreallyreallyreallyverysafe\''
\endif

create extension if not exists pgcrypto;

-- roles -------------------------------------------------------------------
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'authenticator') then
        create role authenticator noinherit login password 'authenticatorpass';
    end if;
    if not exists (select 1 from pg_roles where rolname = 'anonymous') then
        create role anonymous nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'webuser') then
        create role webuser nologin;
    end if;
end
$$;
grant anonymous, webuser to authenticator;

-- the secret the SQL side signs tokens with; PostgREST verifies with the same
select format('alter database %I set app.jwt_secret = %L', current_database(), :jwt_secret) \gexec

-- JWT (HS256) written in SQL on pgcrypto's hmac ----------------------------
create schema auth;

create function auth.url_encode(data bytea) returns text
language sql immutable as $$
    select translate(encode(data, 'base64'), E'+/=\n', '-_');
$$;

create function auth.sign(payload json, secret text) returns text
language sql immutable as $$
    with parts as (
        select auth.url_encode(convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'))
               || '.' || auth.url_encode(convert_to(payload::text, 'utf8')) as signable
    )
    select signable || '.' || auth.url_encode(hmac(signable, secret, 'sha256'))
    from parts;
$$;

-- claims of the current request as PostgREST 12 exposes them
create function auth.claim(name text) returns text
language sql stable as $$
    select nullif(current_setting('request.jwt.claims', true), '')::json ->> name;
$$;

create function auth.user_id() returns int
language sql stable as $$
    select auth.claim('user_id')::int;
$$;

-- data ----------------------------------------------------------------------
create schema data;

create table data.users (
    id       serial primary key,
    name     text not null,
    email    text not null unique check (email ~* '^.+@.+\..+$'),
    password text not null,
    role     name not null default 'webuser' check (role in ('webuser'))
);

create function data.encrypt_password() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' or new.password <> old.password then
        new.password := crypt(new.password, gen_salt('bf', 6));
    end if;
    return new;
end
$$;

create trigger users_encrypt_password
    before insert or update on data.users
    for each row execute procedure data.encrypt_password();

create table data.projects (
    id   serial primary key,
    name text not null
);

create table data.todos (
    id       serial primary key,
    todo     text not null,
    private  boolean not null default true,
    owner_id int not null references data.users(id) default auth.user_id()
);

-- a webuser sees its own todos and the others' public ones, and writes only its own
alter table data.todos enable row level security;
create policy todos_read on data.todos for select to webuser
    using (owner_id = auth.user_id() or private = false);
create policy todos_write on data.todos for all to webuser
    using (owner_id = auth.user_id()) with check (owner_id = auth.user_id());

insert into data.users (name, email, password) values
    ('Alice', 'alice@email.com', 'pass'),
    ('Bob', 'bob@email.com', 'pass');

insert into data.projects (name) values
    ('Windows'), ('MacOS'), ('Linux'), ('iOS'), ('Android');

insert into data.todos (todo, private, owner_id) values
    ('item_1', true, 1),
    ('item_2', false, 1),
    ('item_3', true, 1),
    ('item_4', true, 2),
    ('item_5', false, 2);

-- api: the schema PostgREST exposes ------------------------------------------
create schema api;

-- security_invoker keeps the callers' privileges and row-level security
create view api.projects with (security_invoker = true) as
    select id, name from data.projects;

create view api.todos with (security_invoker = true) as
    select id, todo, private, owner_id, owner_id = auth.user_id() as mine from data.todos;

create function auth.session(u data.users) returns json
language sql stable security definer set search_path = data, public as $$
    select json_build_object(
        'me', json_build_object('id', u.id, 'name', u.name, 'email', u.email),
        'token', auth.sign(json_build_object(
            'role', u.role,
            'user_id', u.id,
            'exp', extract(epoch from now())::int + 3600
        ), current_setting('app.jwt_secret')));
$$;

create function api.login(email text, password text) returns json
language plpgsql stable security definer set search_path = data, public as $$
declare
    usr data.users;
begin
    select * into usr from data.users as u
    where u.email = login.email and u.password = crypt(login.password, u.password);
    if not found then
        raise exception 'invalid email/password' using errcode = '28P01', hint = 'check the credentials';
    end if;
    return auth.session(usr);
end
$$;

create function api.signup(name text, email text, password text) returns json
language plpgsql security definer set search_path = data, public as $$
declare
    usr data.users;
begin
    insert into data.users as u (name, email, password)
    values (signup.name, signup.email, signup.password)
    returning * into usr;
    return auth.session(usr);
end
$$;

create function api.me() returns json
language sql stable security definer set search_path = data, public as $$
    select json_build_object('id', id, 'name', name, 'email', email)
    from data.users where id = auth.user_id();
$$;

-- privileges ------------------------------------------------------------------
revoke all on schema data, auth from public;
revoke execute on all functions in schema api from public;
grant usage on schema api to anonymous, webuser;
grant usage on schema auth to anonymous, webuser;
grant execute on function auth.user_id(), auth.claim(text) to anonymous, webuser;

grant usage on schema data to anonymous, webuser;
grant select on data.projects to anonymous, webuser;
grant select on api.projects to anonymous, webuser;
grant select, insert, update, delete on data.todos to webuser;
grant usage on sequence data.todos_id_seq to webuser;
grant select, insert, update, delete on api.todos to webuser;

grant execute on function api.login(text, text), api.signup(text, text, text) to anonymous, webuser;
grant execute on function api.me() to webuser;
