-- The version of the scenario a run follows, so HR can tell runs of an
-- edited scenario apart.
ALTER TABLE scenario_runs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- A run event may name what it is about: the variable of an answer, the
-- name of a mark.
ALTER TABLE run_events ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE INDEX run_events_kind ON run_events (company_id, kind, run_id);

-- The step that made a task; HR lists open tasks and an employee's runs.
ALTER TABLE tasks ADD COLUMN step TEXT NOT NULL DEFAULT '';
CREATE INDEX tasks_status ON tasks (company_id, status, id);
CREATE INDEX scenario_runs_employee ON scenario_runs (company_id, employee_id, state);
