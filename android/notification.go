package android

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// NotificationCommand is the notificationType attribute of the Pub/Sub
// message AMAPI publishes when a device command completes; its data is the
// command's Operation.
const NotificationCommand = "COMMAND"

// Notification is one Pub/Sub push request from AMAPI's topic.
type Notification struct {
	// Type is the notificationType attribute: COMMAND, ENROLLMENT,
	// STATUS_REPORT, USAGE_LOGS, ...
	Type string
	// MessageID is Pub/Sub's message ID; a push may be delivered more than
	// once, with the same ID.
	MessageID string
	// PublishTime is when Pub/Sub received the message (UTC); zero if
	// absent.
	PublishTime time.Time
	// Subscription is the push subscription's name.
	Subscription string
	// Operation is the completed command, for a COMMAND notification;
	// zero for every other type, whose data is not read.
	Operation Operation
}

// MaxPushSize bounds the push request body [ParsePush] reads: the base64
// of an operation of [MaxOperationSize], and the envelope.
const MaxPushSize = MaxOperationSize*4/3 + 64<<10

type pushEnvelope struct {
	Message *struct {
		Attributes  map[string]string `json:"attributes"`
		Data        string            `json:"data"`
		MessageID   string            `json:"messageId"`
		PublishTime string            `json:"publishTime"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// ParsePush reads the body of a Pub/Sub push request: the envelope
// {"message": {"attributes": {"notificationType": ...}, "data": base64,
// "messageId", "publishTime"}, "subscription"}. For a COMMAND notification
// it decodes the data as an Operation ([ParseOperation]); pass that to
// [Operation.Outcome]. Other notification types are returned with their
// Type and no Operation. Authenticating the push (its OIDC token) is the
// HTTP handler's job, before this.
func ParsePush(body []byte) (Notification, error) {
	if len(body) > MaxPushSize {
		return Notification{}, invalid("push", "larger than the limit")
	}
	var env pushEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Notification{}, invalid("push", "not a JSON Pub/Sub push envelope")
	}
	if env.Message == nil {
		return Notification{}, invalid("message", "required")
	}
	m := env.Message
	n := Notification{Type: m.Attributes["notificationType"], MessageID: m.MessageID, Subscription: env.Subscription}
	if n.Type == "" {
		return Notification{}, invalid("message.attributes.notificationType", "required")
	}
	if m.PublishTime != "" {
		t, err := time.Parse(time.RFC3339Nano, m.PublishTime)
		if err != nil {
			return Notification{}, invalid("message.publishTime", "not an RFC 3339 timestamp")
		}
		n.PublishTime = t.UTC()
	}
	if n.Type != NotificationCommand {
		return n, nil
	}
	data, err := base64.StdEncoding.DecodeString(m.Data)
	if err != nil {
		return Notification{}, invalid("message.data", "not base64")
	}
	op, err := ParseOperation(data)
	if err != nil {
		if e, ok := err.(*Error); ok {
			return Notification{}, invalid("message.data."+e.Field, e.Rule)
		}
		return Notification{}, err
	}
	n.Operation = op
	return n, nil
}
