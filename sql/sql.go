// Package sql ships the SQL that goes with goresty's events: the rabbitmq
// schema (send_message, on_row_change) and the durable outbox.
package sql

import (
	_ "embed"
	"strings"
)

//go:embed rabbitmq.sql
var rabbitMQ string

// RabbitMQ returns the schema script with the schema name replaced by
// schema (tests install private copies; "" keeps "rabbitmq"). The outbox
// wake-up channel becomes <schema>_outbox accordingly.
func RabbitMQ(schema string) string {
	if schema == "" || schema == "rabbitmq" {
		return rabbitMQ
	}
	return strings.ReplaceAll(rabbitMQ, "rabbitmq", schema)
}
