package app

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// metrics are the Prometheus series served at /metrics.
type metrics struct {
	registry    *prometheus.Registry
	messagesIn  *prometheus.CounterVec
	messagesOut *prometheus.CounterVec
	errors      *prometheus.CounterVec
}

func newMetrics(st *store.Store) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "staffbot_messages_in_total",
			Help: "Incoming messenger events handled, by channel.",
		}, []string{"channel"}),
		messagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "staffbot_messages_out_total",
			Help: "Outgoing messages delivered, by channel.",
		}, []string{"channel"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "staffbot_errors_total",
			Help: "Errors by where they happened: handle, delivery, scheduler.",
		}, []string{"where"}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "staffbot_outbox_depth",
		Help: "Outgoing messages waiting for delivery.",
	}, func() float64 {
		n, err := st.OutboxDepth(context.Background())
		if err != nil {
			return -1
		}
		return float64(n)
	})
	// Every series exists from the start, so dashboards and alerts see a
	// zero rather than nothing.
	for _, ch := range []staffbot.ChannelKind{staffbot.ChannelTelegram, staffbot.ChannelWebchat} {
		m.messagesIn.WithLabelValues(string(ch))
		m.messagesOut.WithLabelValues(string(ch))
	}
	for _, where := range []string{"handle", "delivery", "scheduler"} {
		m.errors.WithLabelValues(where)
	}
	m.registry.MustRegister(m.messagesIn, m.messagesOut, m.errors, depth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Sent and Failed make metrics a delivery.Observer.
func (m *metrics) Sent(kind staffbot.ChannelKind) { m.messagesOut.WithLabelValues(string(kind)).Inc() }

func (m *metrics) Failed(kind staffbot.ChannelKind, reason string) {
	m.errors.WithLabelValues("delivery").Inc()
}
