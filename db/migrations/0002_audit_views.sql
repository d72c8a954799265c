-- 0002: names for the kinds and sources, and a readable view of the trail.

CREATE TABLE audit_kind (
	kind smallint PRIMARY KEY,
	name text NOT NULL UNIQUE
);
INSERT INTO audit_kind (kind, name) VALUES
	(1, 'level'), (2, 'state'), (3, 'intent'), (4, 'order'), (5, 'fill'),
	(6, 'fork'), (7, 'merge'), (8, 'config'), (9, 'command'), (10, 'fault');

CREATE FUNCTION audit_source_name(source integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
		WHEN source = 1 THEN 'supervisor'
		WHEN source = 2 THEN 'feeder'
		WHEN source = 3 THEN 'rules'
		WHEN source = 4 THEN 'router'
		WHEN source = 5 THEN 'audit'
		WHEN source = 6 THEN 'ctl'
		WHEN source BETWEEN 256 AND 511 THEN 'worker.' || (source - 256)
		ELSE 'src.' || source
	END
$$;

CREATE VIEW audit_trail AS
	SELECT r.instance, r.jseq, audit_source_name(r.source) AS source, r.src_seq,
	       k.name AS kind, to_timestamp(r.event_ns / 1e9) AS event_time,
	       encode(r.hash, 'hex') AS hash, r.payload, r.shipped_at
	FROM audit_record r LEFT JOIN audit_kind k USING (kind);
