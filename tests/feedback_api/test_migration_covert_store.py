"""Migration 0027 moves covert-inspection evidence from its own folder into the shared file store
(``<instance>/files/<sha256[:2]>/<sha256>``) and keeps every row; a file missing or changed since
upload stays where it was. The downgrade gives the rows old-style names and copies the bytes back."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from feedback_api import schema
from feedback_api.db import make_engine
from tests.db_compare import drop_scratch_database, scratch_database

NOW = "2026-10-01 08:00:00"

KEPT = "SELECT id, covert_inspection_id, filename, content_type, size_bytes, sha256, created_at " \
       "FROM covert_evidence ORDER BY id"


def _three_evidence_rows(engine):
    """One covert inspection before the migration (at 0019) with three evidence rows (the third's text odd)."""
    with engine.begin() as conn:
        def add(sql, **values):
            conn.execute(sa.text(sql), {"now": NOW, **values})

        add("INSERT INTO units (code, name, industry, authority, contact_person, contact_phone, "
            "address, created_at) VALUES ('U', '单位', 'tax', '', '', '', '', :now)")
        add("INSERT INTO windows (code, name, unit_id, address, service_items, staff_count, "
            "contact_person, contact_phone, service_hours, status, status_reason, remarks, "
            "created_at, updated_at) SELECT 'U-1', '窗口', id, '', '', 1, '', '', '', 'candidate', "
            "'', '', :now, :now FROM units")
        add("INSERT INTO standards (year, name, pass_score, weight_feedback, weight_inspection, "
            "weight_covert, weight_tickets, created_at, updated_at) "
            "VALUES (2026, '标准', 80, 40, 30, 20, 10, :now, :now)")
        add("INSERT INTO covert_inspections (window_id, inspected_on, standard_id, notes, created_at) "
            "SELECT windows.id, '2026-10-01', standards.id, '', :now FROM windows, standards")
        for i, name in enumerate(["a", "b", "示范窗口'%_/../x"]):
            add("INSERT INTO covert_evidence (covert_inspection_id, filename, stored_name, "
                "content_type, size_bytes, sha256, created_at) SELECT id, :f, :n, 'image/jpeg', 3, "
                ":s, :now FROM covert_inspections", f=f"证据{i}.jpg", n=name, s=str(i) * 64)


def test_0027_moves_covert_evidence_into_the_shared_store(database_url, tmp_path):
    url = scratch_database(database_url, "covert", tmp_path)
    engine = make_engine(url)
    instance = tmp_path / "instance"
    try:
        schema.upgrade(engine, "0019")
        _three_evidence_rows(engine)
        content = b"%PDF-1.4 covert evidence"
        sha = hashlib.sha256(content).hexdigest()
        legacy = instance / "covert-evidence" / "202610"
        legacy.mkdir(parents=True)
        (legacy / "1-aa.pdf").write_bytes(content)
        (legacy / "2-bb.jpg").write_bytes(b"changed after upload")
        with engine.begin() as conn:
            ids = conn.execute(sa.text("SELECT id FROM covert_evidence ORDER BY id")).scalars().all()
            for row_id, name, checksum in ((ids[0], "202610/1-aa.pdf", sha),
                                           (ids[1], "202610/2-bb.jpg", "0" * 64)):
                conn.execute(sa.text("UPDATE covert_evidence SET stored_name = :n, sha256 = :s "
                                     "WHERE id = :i"), {"n": name, "s": checksum, "i": row_id})
        with engine.connect() as conn:
            before = conn.execute(sa.text(KEPT)).all()

        schema.upgrade(engine, instance_path=str(instance))

        assert (instance / "files" / sha[:2] / sha).read_bytes() == content
        assert not (legacy / "1-aa.pdf").exists()
        assert (legacy / "2-bb.jpg").read_bytes() == b"changed after upload"  # left, reported
        with engine.connect() as conn:
            assert conn.execute(sa.text(KEPT)).all() == before
        columns = {c["name"] for c in sa.inspect(engine).get_columns("covert_evidence")}
        assert "stored_name" not in columns and len(before) == 3

        schema.downgrade(engine, "0019", instance_path=str(instance))
        with engine.connect() as conn:
            name = conn.execute(sa.text("SELECT stored_name FROM covert_evidence WHERE id = :i"),
                                {"i": ids[0]}).scalar_one()
            assert conn.execute(sa.text(
                "SELECT count(DISTINCT stored_name) FROM covert_evidence")).scalar() == 3
        assert (instance / "covert-evidence" / name).read_bytes() == content
    finally:
        engine.dispose()
        drop_scratch_database(url)
