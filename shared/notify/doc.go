// Package notify defines the notification message that the stream evaluator puts on the
// notifications queue and the notifier delivers, and renders its message template.
//
// A Notification is self-contained: it carries the names, the metric values, the channels
// and the template as they were when the rule fired, so delivery never reads the rule
// again and a rule edited after the firing does not change what is sent.
//
// Rendering is plain placeholder substitution ({{campaign_name}}, {{metric.spend}}, ...).
// Templates are tenant input and are never executed: Go template syntax such as
// {{ .Something }} is an unknown placeholder and stays in the output as written.
package notify
