-- The helpdesk dashboards and HR's queue of self-service requests in the
-- cabinet.

-- Working time (seconds on the company's calendar, as the SLA timers
-- count it) from a ticket's creation to its first reply and to its
-- resolution, set when they happen, so that the dashboards read medians
-- and percentiles without the calendar; and the days (days since
-- 1970-01-01 in the company's zone at the time) a ticket was created,
-- first answered and resolved, so that the charts group a year of tickets
-- in the order of an index instead of sorting them.
ALTER TABLE tickets ADD COLUMN first_response_secs BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_secs BIGINT;
ALTER TABLE tickets ADD COLUMN created_day BIGINT;
ALTER TABLE tickets ADD COLUMN first_response_day BIGINT;
ALTER TABLE tickets ADD COLUMN resolved_day BIGINT;

CREATE INDEX tickets_created_day ON tickets (company_id, created_day, category_id, employee_id);
CREATE INDEX tickets_first_response_day ON tickets (company_id, first_response_day, first_response_secs,
    first_response_at, first_response_due_at, employee_id);
CREATE INDEX tickets_resolved_day ON tickets (company_id, resolved_day, category_id, resolution_secs, rating,
    resolved_at, resolution_due_at, resolution_breached_at, employee_id);
CREATE INDEX tickets_first_breach ON tickets (company_id, first_response_breached_at, employee_id)
    WHERE first_response_breached_at IS NOT NULL;
CREATE INDEX tickets_resolution_breach ON tickets (company_id, resolution_breached_at, employee_id)
    WHERE resolution_breached_at IS NOT NULL;

-- A request HR fulfils has a deadline in working days (3 for documents,
-- art. 62 of the Labour Code): due_at is the end of its last working day,
-- warn_at the start of that day, when HR is reminded once (warned_at).
-- taken_by is the cabinet user working on it.
ALTER TABLE service_requests ADD COLUMN due_at BIGINT;
ALTER TABLE service_requests ADD COLUMN warn_at BIGINT;
ALTER TABLE service_requests ADD COLUMN warned_at BIGINT;
ALTER TABLE service_requests ADD COLUMN taken_by BIGINT;
CREATE INDEX service_requests_warn ON service_requests (warn_at) WHERE warned_at IS NULL;
CREATE INDEX service_requests_queue ON service_requests (company_id, fulfilment, status, due_at);

-- What happened to a request in HR's hands: queued, taken, ready, done,
-- rejected, reminded. note holds HR's note or the reason given to the
-- employee, sealed with the company's data key.
CREATE TABLE service_request_events (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    request_id BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor_kind TEXT NOT NULL DEFAULT '',
    actor_id TEXT NOT NULL DEFAULT '',
    note_sealed TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, request_id) REFERENCES service_requests (company_id, id) ON DELETE CASCADE
);
CREATE INDEX service_request_events_request ON service_request_events (company_id, request_id, id);
