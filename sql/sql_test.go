package sql

import (
	"strings"
	"testing"
)

func TestRename(t *testing.T) {
	s := RabbitMQ("ev_x")
	if strings.Contains(s, "rabbitmq") || !strings.Contains(s, "create schema if not exists ev_x;") || !strings.Contains(s, "'ev_x_outbox'") {
		t.Fatal("schema not renamed")
	}
	if RabbitMQ("") != RabbitMQ("rabbitmq") || !strings.Contains(RabbitMQ(""), "pg_notify('rabbitmq_outbox'") {
		t.Fatal("default script changed")
	}
}
