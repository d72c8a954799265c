-- 0001: the audit table, append-only in the database itself.
-- Applied once by the audit process (workers/audit/audit_pg.c), inside the same
-- transaction that records version 1 in schema_version.
-- One row per journal record; (instance, jseq) is the idempotency key: the shipper
-- resumes after max(jseq) of its instance, so a row is never written twice.

CREATE TABLE audit_record (
	instance   text     NOT NULL,  -- the alluse instance (segment name)
	jseq       bigint   NOT NULL,  -- journal sequence, 1, 2, ... no gaps
	source     integer  NOT NULL,  -- 1 supervisor, 2 feeder, 3 rules, 4 router, 5 audit, 6 ctl, 256+i worker i
	src_seq    bigint   NOT NULL,  -- the source's own sequence
	kind       smallint NOT NULL,  -- 1 level .. 10 fault (docs/audit-format.md)
	event_ns   bigint   NOT NULL,  -- event time, shared clock, ns since the Unix epoch
	recv_ns    bigint   NOT NULL,  -- audit process receive time, CLOCK_MONOTONIC ns
	emit_ns    bigint   NOT NULL,  -- producer emit time, CLOCK_MONOTONIC ns
	lat        bytea    NOT NULL,  -- latency stamps: little-endian u64 each (0..4 of them)
	payload    bytea    NOT NULL,  -- the typed payload, byte for byte as in the journal
	hash       bytea    NOT NULL,  -- SHA-256 chain hash of the record
	crc        bigint   NOT NULL,  -- the record's CRC32C (u32)
	shipped_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (instance, jseq),
	CHECK (jseq > 0),
	CHECK (octet_length(hash) = 32)
);

CREATE FUNCTION audit_record_reject() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_record is append-only: % is not allowed', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_record_no_update_delete
	BEFORE UPDATE OR DELETE ON audit_record
	FOR EACH ROW EXECUTE FUNCTION audit_record_reject();

CREATE TRIGGER audit_record_no_truncate
	BEFORE TRUNCATE ON audit_record
	FOR EACH STATEMENT EXECUTE FUNCTION audit_record_reject();
