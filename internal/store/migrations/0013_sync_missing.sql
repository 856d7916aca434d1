-- Employees the accounting system listed, and how many full syncs in a row
-- have not listed them since. An employee staffbot has from a staff file or
-- by hand, whom the connector never listed, has no row and no sync touches
-- them. A sync marks a listed employee as missing; only after
-- dismiss_missing_after syncs in a row without them (or when HR confirms)
-- are they dismissed, which ends their bot access. A sync that would leave
-- more than max_missing_percent of the listed, working employees missing
-- at once is refused as a likely truncated list.
CREATE TABLE connector_listings (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    listed_at BIGINT NOT NULL,
    missing_since BIGINT,
    missing_runs INTEGER NOT NULL DEFAULT 0,
    UNIQUE (company_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX connector_listings_missing ON connector_listings (company_id, missing_runs);

ALTER TABLE connectors ADD COLUMN dismiss_missing_after INTEGER NOT NULL DEFAULT 3;
ALTER TABLE connectors ADD COLUMN max_missing_percent INTEGER NOT NULL DEFAULT 20;
