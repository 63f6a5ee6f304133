"""job leases: who runs an ingestion, until when

Revision ID: 0005_job_lease
Revises: 0004_search

A running ingestion holds a lease on its issue row (owner and expiry, moved ahead by each heartbeat): the
consumer requeues an issue only once its lease has expired, and a job that lost its lease
cannot record its result (processing.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_job_lease"
down_revision = "0004_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_owner", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("job_lease_until", sa.DateTime(), nullable=True))
    # Jobs left "processing" by a consumer older than leases hold no lease: give them one
    # that has already expired, so that staff see them failed and can retry or delete them.
    op.execute(
        "UPDATE issues SET job_lease_until = COALESCE(processing_started_at, updated_at) "
        "WHERE status = 'processing'"
    )


def downgrade():
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_column("job_lease_until")
        batch_op.drop_column("job_owner")
