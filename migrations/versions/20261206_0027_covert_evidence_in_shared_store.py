"""covert evidence in the shared file store: files move from <instance>/covert-evidence to
<instance>/files/<sha256[:2]>/<sha256>; the row's stored_name (its old path) goes

Every row is kept. A file whose bytes are missing or no longer match the row's checksum is left
where it was and reported (its row is then served as "no longer on the server", as before).

The instance folder is the app's (``feedback_api.schema.upgrade(..., instance_path=)``, which
``window-watch db upgrade`` passes), else WW_INSTANCE_PATH, else ./instance, as the config reads it.
Self-contained: the store's layout is written out here, so later code cannot change this step.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 08:30:00

"""
import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0027'
down_revision: Union[str, Sequence[str], None] = '0026'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")
LEGACY = "covert-evidence"


def _instance() -> Path:
    given = op.get_context().config.attributes.get("instance_path")
    return Path(given or os.environ.get("WW_INSTANCE_PATH") or "instance").resolve()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_synced(source: Path, target: Path) -> None:
    """Whole and on disk before it takes its name (as services.files.save writes)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def upgrade() -> None:
    """Upgrade schema."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, stored_name, sha256 FROM covert_evidence")).all()
    if rows:
        instance = _instance()
        legacy, store = instance / LEGACY, instance / "files"
        moved, left = [], []
        for row_id, stored_name, sha in rows:
            source = legacy / stored_name
            target = store / sha[:2] / sha
            if target.is_file():
                moved.append(source)  # already in the store (the same bytes uploaded elsewhere)
            elif source.is_file() and len(sha) == 64 and _sha256(source) == sha:
                _copy_synced(source, target)
                moved.append(source)
            else:
                left.append(f"#{row_id} {stored_name}")
        # The old copies go only once every row's bytes are safe under their checksum.
        for source in moved:
            source.unlink(missing_ok=True)
        if left:
            log.warning("covert evidence not moved (missing or changed since upload), left in %s: %s",
                        legacy, ", ".join(left))
    with op.batch_alter_table('covert_evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_covert_evidence_stored_name'), type_='unique')
        batch_op.drop_column('stored_name')


def downgrade() -> None:
    """Downgrade schema: each row gets an old-style name and its bytes are copied back."""
    with op.batch_alter_table('covert_evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_name', sa.String(length=200), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, sha256 FROM covert_evidence")).all()
    instance = _instance() if rows else None
    for row_id, sha in rows:
        name = f"store/{row_id}-{sha[:16]}"
        conn.execute(sa.text("UPDATE covert_evidence SET stored_name = :n WHERE id = :i"),
                     {"n": name, "i": row_id})
        source = instance / "files" / sha[:2] / sha
        if source.is_file():
            _copy_synced(source, instance / LEGACY / name)
    with op.batch_alter_table('covert_evidence', schema=None) as batch_op:
        batch_op.alter_column('stored_name', existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_covert_evidence_stored_name'), ['stored_name'])
