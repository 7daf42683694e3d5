"""The ledger's schema, as numbered migrations applied in order; `PRAGMA user_version` is the schema version.

A migration is never edited once released: change the schema by appending a new one, numbered one more
than the last (a unit test checks the numbers run 1, 2, 3, ... so that no migration can be skipped).
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE releases (
            id            TEXT PRIMARY KEY,          -- the first 12 hex digits of content_hash
            content_hash  TEXT NOT NULL UNIQUE,      -- sha256 over the playbook folder and the inventories
            playbook      TEXT NOT NULL,             -- the playbook, relative to the project root
            snapshot_dir  TEXT NOT NULL,             -- where the snapshot of its content is kept
            created_at    TEXT NOT NULL,
            created_by    TEXT NOT NULL,
            note          TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE release_images (
            release_id    TEXT NOT NULL REFERENCES releases(id),
            play          TEXT NOT NULL,
            image         TEXT NOT NULL,             -- the content-addressed tag
            image_id      TEXT NOT NULL,             -- the image digest (sha256:...)
            context_hash  TEXT NOT NULL,
            built_at      TEXT NOT NULL,
            PRIMARY KEY (release_id, play)
        );
        CREATE TABLE deployments (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            stage         TEXT NOT NULL,
            release_id    TEXT REFERENCES releases(id),
            action        TEXT NOT NULL,             -- apply, deploy, promote, rollback, fix
            strategy      TEXT NOT NULL,             -- mutable, immutable, both
            started_at    TEXT NOT NULL,
            ended_at      TEXT,
            outcome       TEXT NOT NULL,             -- running, ok, failed, stopped, rolled_back, interrupted
            reason        TEXT NOT NULL DEFAULT '',
            requests_sent   INTEGER,
            requests_failed INTEGER,
            forced        INTEGER NOT NULL DEFAULT 0,
            force_reason  TEXT NOT NULL DEFAULT '',
            by            TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            machine       TEXT NOT NULL
        );
        CREATE INDEX deployments_by_stage ON deployments(stage, id);
        CREATE TABLE deployment_hosts (
            deployment_id INTEGER NOT NULL REFERENCES deployments(id),
            host          TEXT NOT NULL,
            kind          TEXT NOT NULL,             -- vm or container
            status        TEXT NOT NULL,             -- ok, changed, failed, unreachable, deployed, ...
            detail        TEXT NOT NULL DEFAULT '{}', -- JSON: counts, image, replicas, ...
            PRIMARY KEY (deployment_id, host)
        );
        CREATE TABLE verifications (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            stage         TEXT NOT NULL,
            release_id    TEXT REFERENCES releases(id),
            started_at    TEXT NOT NULL,
            ended_at      TEXT,
            outcome       TEXT NOT NULL,             -- running, passed, failed, interrupted
            by            TEXT NOT NULL
        );
        CREATE TABLE verification_hosts (
            verification_id INTEGER NOT NULL REFERENCES verifications(id),
            host          TEXT NOT NULL,
            backend       TEXT NOT NULL,             -- ssh or docker
            passed        INTEGER NOT NULL,
            failed        INTEGER NOT NULL,
            detail        TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (verification_id, host)
        );
        CREATE TABLE drift_scans (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            stages        TEXT NOT NULL,             -- comma-separated stages scanned
            started_at    TEXT NOT NULL,
            ended_at      TEXT,
            seconds       REAL,
            hosts_scanned INTEGER NOT NULL DEFAULT 0,
            hosts_drifted INTEGER NOT NULL DEFAULT 0,
            items         INTEGER NOT NULL DEFAULT 0,
            ignored       INTEGER NOT NULL DEFAULT 0,
            outcome       TEXT NOT NULL,             -- running, clean, drift, error
            by            TEXT NOT NULL
        );
        CREATE TABLE drift_items (
            scan_id       INTEGER NOT NULL REFERENCES drift_scans(id),
            stage         TEXT NOT NULL,
            host          TEXT NOT NULL,
            strategy      TEXT NOT NULL,             -- mutable or immutable
            kind          TEXT NOT NULL,
            resource      TEXT NOT NULL,
            expected      TEXT NOT NULL,
            actual        TEXT NOT NULL,
            ignored       INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX drift_items_by_scan ON drift_items(scan_id);
        CREATE TABLE package_baselines (
            stage         TEXT NOT NULL,
            host          TEXT NOT NULL,
            deployment_id INTEGER REFERENCES deployments(id),
            recorded_at   TEXT NOT NULL,
            packages      TEXT NOT NULL,             -- JSON object: package name -> version
            PRIMARY KEY (stage, host)
        );
        CREATE TABLE stage_locks (
            stage         TEXT PRIMARY KEY,
            command       TEXT NOT NULL,
            by            TEXT NOT NULL,
            pid           INTEGER NOT NULL,
            machine       TEXT NOT NULL,
            acquired_at   TEXT NOT NULL
        );
        """,
    ),
    (
        2,
        """
        -- Drift: every VM and container a scan looked at, with its status (clean ones too: history needs them).
        CREATE TABLE drift_hosts (
            scan_id       INTEGER NOT NULL REFERENCES drift_scans(id),
            stage         TEXT NOT NULL,
            host          TEXT NOT NULL,             -- VM name or container name
            target        TEXT NOT NULL,             -- vm or container
            strategy      TEXT NOT NULL,             -- mutable or immutable
            inventory_host TEXT NOT NULL,            -- the inventory's name (a container's target, e.g. qa-web)
            release_id    TEXT,                      -- the release it was last deployed with (NULL: never)
            status        TEXT NOT NULL,             -- clean, drifted, never_deployed, unreachable, error
            items         INTEGER NOT NULL DEFAULT 0,
            ignored       INTEGER NOT NULL DEFAULT 0,
            message       TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (scan_id, stage, host)
        );
        CREATE INDEX drift_scans_by_time ON drift_scans(started_at);
        """,
    ),
    (
        3,
        """
        -- Promotion: the stage a release was promoted from, and the gates checked (JSON list).
        ALTER TABLE deployments ADD COLUMN source_stage TEXT NOT NULL DEFAULT '';
        ALTER TABLE deployments ADD COLUMN gates TEXT NOT NULL DEFAULT '[]';
        -- Verifications: who runs them (a killed one is found and marked interrupted), how long, why failed.
        ALTER TABLE verifications ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE verifications ADD COLUMN machine TEXT NOT NULL DEFAULT '';
        ALTER TABLE verifications ADD COLUMN seconds REAL;
        ALTER TABLE verifications ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        ALTER TABLE verifications ADD COLUMN deployment_id INTEGER REFERENCES deployments(id);
        CREATE INDEX verifications_by_stage ON verifications(stage, id);
        -- A release image's deploy spec (service, per-stage templates) as JSON: deployed without a rebuild.
        ALTER TABLE release_images ADD COLUMN spec TEXT NOT NULL DEFAULT '{}';
        """,
    ),
    (
        4,
        """
        -- deployctl compare: one row per run, the whole scorecard as JSON (figures with unit and method).
        CREATE TABLE compare_runs (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            stage         TEXT NOT NULL,
            from_release  TEXT NOT NULL,
            to_release    TEXT NOT NULL,
            started_at    TEXT NOT NULL,
            seconds       REAL NOT NULL,
            by            TEXT NOT NULL,
            scorecard     TEXT NOT NULL              -- JSON: Scorecard.to_json()
        );
        CREATE INDEX compare_runs_by_stage ON compare_runs(stage, id);
        """,
    ),
)
