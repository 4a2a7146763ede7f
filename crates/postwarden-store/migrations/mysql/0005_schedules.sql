-- Scheduled reports: when each schedule last ran (the occurrence it ran for), so a
-- restart neither skips nor repeats a run, and of several nodes only one sends it.
CREATE TABLE schedule_runs (
    name        VARCHAR(200) PRIMARY KEY NOT NULL,
    last_run_us BIGINT  NOT NULL,
    ran_us      BIGINT  NOT NULL
);
